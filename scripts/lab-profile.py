#!/usr/bin/env python3
"""Writes a why429 limit profile (TOML) from a lab capture's config.json.

Only the documented layers are written, with their documented numbers: a profile holds what
the API documents, and the undocumented ("hidden") layers of a scenario are what why429 must
discover on its own.  The mapping is in scripts/lab/profile_toml.py.

    python3 scripts/lab-profile.py fixtures/lab/t01_forum_like_schedule_puts.config.json \
        > fixtures/lab/t01_forum_like_schedule_puts.profile.toml
"""
import json
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "lab"))

from profile_toml import profile_text  # noqa: E402


def main(path):
    cfg = json.load(open(path))
    host = cfg["run"]["api_origin"].split("://", 1)[1]
    sys.stdout.write(profile_text(cfg["effective_server_config"], cfg["scenario"], host,
                                  path.rsplit("/", 1)[-1]))


if __name__ == "__main__":
    main(sys.argv[1])
