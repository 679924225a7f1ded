//! Endpoint templates from an OpenAPI 3 or Swagger 2 document (JSON).
//!
//! Owns reading the `paths` object and the base path (`servers[0].url` or `basePath`) into
//! `KnownTemplates`. It reads bytes handed in by the caller; it must not open files.

use super::template::KnownTemplates;

/// Why a document could not be used.
#[derive(Debug, PartialEq, Eq)]
pub struct OpenApiError(pub String);

/// Reads the templates of an OpenAPI 3 / Swagger 2 JSON document.
pub fn templates(doc: &[u8]) -> Result<KnownTemplates, OpenApiError> {
    let doc = doc.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(doc);
    let v: serde_json::Value = serde_json::from_slice(doc).map_err(|e| {
        OpenApiError(format!(
            "not valid JSON at line {} column {} (only JSON OpenAPI/Swagger documents are read; convert YAML with e.g. `yq -o json`)",
            e.line(),
            e.column()
        ))
    })?;
    let paths = v.get("paths").and_then(|p| p.as_object()).ok_or_else(|| {
        OpenApiError("no `paths` object: not an OpenAPI or Swagger document".into())
    })?;
    let base = if v.get("swagger").is_some() {
        v.get("basePath")
            .and_then(|b| b.as_str())
            .unwrap_or("")
            .to_string()
    } else {
        v.get("servers")
            .and_then(|s| s.get(0))
            .and_then(|s| s.get("url"))
            .and_then(|u| u.as_str())
            .map(server_path)
            .unwrap_or_default()
    };
    let base = base.trim_end_matches('/');
    let mut known = KnownTemplates::default();
    for path in paths.keys() {
        if path.starts_with('/') {
            known.add(&format!("{base}{path}"));
        }
    }
    if known.is_empty() {
        return Err(OpenApiError("the document declares no paths".into()));
    }
    Ok(known)
}

/// The path part of a server URL (`https://api.x.com/v2` → `/v2`).
fn server_path(url: &str) -> String {
    match url.split_once("://") {
        Some((_, rest)) => rest
            .find('/')
            .map(|i| rest[i..].to_string())
            .unwrap_or_default(),
        None if url.starts_with('/') => url.to_string(),
        None => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn openapi3_with_server_path() {
        let doc = br#"{"openapi":"3.0.0","servers":[{"url":"https://api.example.com/v2"}],
            "paths":{"/ivrs/{ivrId}":{},"/ivrs":{}}}"#;
        let k = templates(doc).unwrap();
        assert_eq!(k.find("/v2/ivrs/abc"), Some("/v2/ivrs/{ivrId}"));
        assert_eq!(k.find("/v2/ivrs"), Some("/v2/ivrs"));
    }

    #[test]
    fn swagger2_with_base_path() {
        let doc =
            br#"{"swagger":"2.0","basePath":"/api/v2","paths":{"/architect/ivrs/{ivrId}":{}}}"#;
        let k = templates(doc).unwrap();
        assert_eq!(
            k.find("/api/v2/architect/ivrs/x"),
            Some("/api/v2/architect/ivrs/{ivrId}")
        );
    }

    #[test]
    fn errors_are_explained() {
        assert!(templates(b"openapi: 3").unwrap_err().0.contains("YAML"));
        assert!(templates(b"{}").unwrap_err().0.contains("no `paths`"));
    }
}
