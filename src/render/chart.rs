//! Timeline charts (PNG and SVG) with plotters and an embedded font.
//!
//! Owns drawing a capture's `Timeline`: each layer that mattered as the share of its budget in
//! use over time (100 % is the limit), 429s as red markers, Retry-After waits as shaded spans,
//! one lane per client and endpoint with each request as a tick coloured by outcome
//! (preflights short and blue), and the in-flight count where concurrency mattered. Time runs
//! in the capture's local time with its UTC offset on the axis. Every text drawn is a
//! `SafeLabel` or why429's own wording. No system font is used: DejaVu Sans (subset) is
//! compiled in and PNG text is rasterised here with ab_glyph, glyph by glyph. Computes nothing.

use std::sync::{LazyLock, Once};

use ab_glyph::{Font, FontRef, PxScale, ScaleFont};
use plotters::coord::Shift;
use plotters::element::{Drawable, PointCollection};
use plotters::prelude::*;
use plotters::style::{FontStyle, register_font};
use plotters_backend::{BackendColor, BackendCoord, DrawingErrorKind};

use crate::model::{Micros, SafeLabel, time};
use crate::report::timeline::{Outcome, Timeline};

static FONT_BYTES: &[u8] = include_bytes!("../../assets/fonts/DejaVuSans-subset.ttf");
static FONT: LazyLock<Option<FontRef<'static>>> =
    LazyLock::new(|| FontRef::try_from_slice(FONT_BYTES).ok());
static REGISTER: Once = Once::new();
const FAMILY: &str = "sans-serif";

/// Why a chart could not be drawn.
#[derive(Debug)]
pub struct ChartError(pub String);

impl std::fmt::Display for ChartError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "chart: {}", self.0)
    }
}

impl std::error::Error for ChartError {}

fn register() {
    REGISTER.call_once(|| {
        // plotters draws tick labels with it; a failure would only lose those labels
        let _ = register_font(FAMILY, FontStyle::Normal, FONT_BYTES);
    });
}

const TITLE_H: u32 = 56;
const TRACKS_PLOT: u32 = 290;
const FLIGHT_PLOT: u32 = 170;
const PANEL_TOP: u32 = 24;
const LEGEND_ROW: i32 = 20;
const LANE_H: u32 = 60;
const LANES_EXTRA: u32 = 96;

/// Chart width in pixels.
const WIDTH: u32 = 1400;
/// Where legends start, in pixels from the left.
const LEGEND_X: i32 = 70;

/// Chart size in pixels for a timeline.
pub fn size(t: &Timeline) -> (u32, u32) {
    let lanes = t.lanes.len().max(1) as u32;
    (
        WIDTH,
        (TITLE_H + tracks_height(t) + flight_height(t) + LANES_EXTRA + LANE_H * lanes).max(600),
    )
}

/// The chart as SVG text (text as `<text>` elements, laid out by the viewer).
pub fn svg(t: &Timeline) -> Result<String, ChartError> {
    register();
    let mut out = String::new();
    {
        let root = SVGBackend::with_string(&mut out, size(t)).into_drawing_area();
        draw(&root, t, Pen::Svg).map_err(|e| ChartError(e.to_string()))?;
        root.present().map_err(|e| ChartError(e.to_string()))?;
    }
    Ok(out)
}

/// The chart as PNG bytes.
pub fn png(t: &Timeline) -> Result<Vec<u8>, ChartError> {
    register();
    let (w, h) = size(t);
    let mut rgb = vec![255u8; (w * h * 3) as usize];
    {
        let root = BitMapBackend::with_buffer(&mut rgb, (w, h)).into_drawing_area();
        draw(&root, t, Pen::Raster).map_err(|e| ChartError(e.to_string()))?;
        root.present().map_err(|e| ChartError(e.to_string()))?;
    }
    let mut png = Vec::new();
    use image::ImageEncoder;
    image::codecs::png::PngEncoder::new(&mut png)
        .write_image(&rgb, w, h, image::ColorType::Rgb8)
        .map_err(|e| ChartError(e.to_string()))?;
    Ok(png)
}

const OK: RGBColor = RGBColor(46, 139, 87);
const THROTTLED: RGBColor = RGBColor(214, 39, 40);
const CLIENT_ERR: RGBColor = RGBColor(255, 127, 14);
const SERVER_ERR: RGBColor = RGBColor(148, 103, 189);
const FAILED: RGBColor = RGBColor(127, 127, 127);
const PREFLIGHT: RGBColor = RGBColor(100, 160, 220);
const INK: RGBColor = RGBColor(30, 30, 30);
const TRACK_COLORS: [RGBColor; 3] = [
    RGBColor(31, 119, 180),
    RGBColor(255, 127, 14),
    RGBColor(44, 160, 44),
];

fn color(o: Outcome) -> RGBColor {
    match o {
        Outcome::Ok => OK,
        Outcome::Throttled => THROTTLED,
        Outcome::ClientError => CLIENT_ERR,
        Outcome::ServerError => SERVER_ERR,
        Outcome::Failed => FAILED,
        Outcome::Preflight => PREFLIGHT,
    }
}

/// Texts of the chart that would not fit inside the image (measured with the compiled-in font,
/// as the PNG draws them): empty when nothing is clipped. The tests check every capture.
pub fn clipped_texts(t: &Timeline) -> Vec<String> {
    let mut out = Vec::new();
    let limit = WIDTH as i32;
    let title = t.title.as_str();
    if text_width(title, 24.0) > limit {
        out.push(title.to_string());
    }
    for keys in [track_keys(t), flight_keys(t)] {
        let (places, column) = legend_places(&keys);
        for (key, place) in keys.iter().zip(places) {
            if let (Some(k), Some((col, _))) = (key, place)
                && LEGEND_X + col * column + 34 + text_width(&k.label, 14.0) > limit
            {
                out.push(k.label.clone());
            }
        }
    }
    for lane in &t.lanes {
        if 74 + text_width(lane.label.as_str(), 14.0) > limit - 12 {
            out.push(lane.label.as_str().to_string());
        }
    }
    out
}

/// How text reaches the image: SVG `<text>`, or glyphs rasterised here.
#[derive(Clone, Copy, PartialEq)]
enum Pen {
    Svg,
    Raster,
}

/// Text rasterised with ab_glyph: each glyph placed at its own bounds, so proportional text
/// keeps its spacing.
struct GlyphText {
    text: String,
    at: BackendCoord,
    size: f32,
    color: RGBColor,
}

impl<'a> PointCollection<'a, BackendCoord> for &'a GlyphText {
    type Point = &'a BackendCoord;
    type IntoIter = std::iter::Once<&'a BackendCoord>;
    fn point_iter(self) -> Self::IntoIter {
        std::iter::once(&self.at)
    }
}

impl<DB: DrawingBackend> Drawable<DB> for GlyphText {
    fn draw<I: Iterator<Item = BackendCoord>>(
        &self,
        mut pos: I,
        backend: &mut DB,
        _: (u32, u32),
    ) -> Result<(), DrawingErrorKind<DB::ErrorType>> {
        let Some(font) = FONT.as_ref() else {
            return Ok(());
        };
        let Some((x0, y0)) = pos.next() else {
            return Ok(());
        };
        let scaled = font.as_scaled(PxScale::from(self.size));
        let baseline = y0 as f32 + scaled.ascent();
        let mut caret = x0 as f32;
        let mut prev = None;
        for c in self.text.chars() {
            let id = scaled.glyph_id(c);
            if let Some(p) = prev {
                caret += scaled.kern(p, id);
            }
            let glyph = id.with_scale_and_position(
                PxScale::from(self.size),
                ab_glyph::point(caret, baseline),
            );
            if let Some(outline) = scaled.outline_glyph(glyph) {
                let b = outline.px_bounds();
                let mut pixels = Vec::new();
                outline.draw(|x, y, cov| pixels.push((x, y, cov)));
                for (x, y, cov) in pixels {
                    if cov > 0.02 {
                        let p = (b.min.x as i32 + x as i32, b.min.y as i32 + y as i32);
                        backend.draw_pixel(
                            p,
                            BackendColor {
                                alpha: cov.min(1.0) as f64,
                                rgb: (self.color.0, self.color.1, self.color.2),
                            },
                        )?;
                    }
                }
            }
            caret += scaled.h_advance(id);
            prev = Some(id);
        }
        Ok(())
    }
}

/// Width of a text in pixels (for placing legends).
fn text_width(text: &str, size: f32) -> i32 {
    let Some(font) = FONT.as_ref() else {
        return (text.chars().count() as f32 * size * 0.55) as i32;
    };
    let scaled = font.as_scaled(PxScale::from(size));
    text.chars()
        .map(|c| scaled.h_advance(scaled.glyph_id(c)))
        .sum::<f32>() as i32
}

type DrawResult<DB> = Result<(), DrawingAreaErrorKind<<DB as DrawingBackend>::ErrorType>>;

/// Writes text with its top-left corner at `at` (pixels within `area`).
fn put<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    pen: Pen,
    text: &str,
    at: (i32, i32),
    size: f32,
    color: RGBColor,
) -> DrawResult<DB> {
    match pen {
        Pen::Raster => area.draw(&GlyphText {
            text: text.to_string(),
            at,
            size,
            color,
        }),
        Pen::Svg => area.draw(&Text::new(
            text.to_string(),
            at,
            (FAMILY, size as f64).into_font().color(&color).pos(
                plotters::style::text_anchor::Pos::new(
                    plotters::style::text_anchor::HPos::Left,
                    plotters::style::text_anchor::VPos::Top,
                ),
            ),
        )),
    }
}

/// Writes text centred on `x`, its top at `y`. In SVG the viewer's font decides the width, so
/// the text is anchored at its centre there rather than placed by the compiled-in font's
/// measure.
fn put_centred<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    pen: Pen,
    text: &str,
    (x, y): (i32, i32),
    size: f32,
) -> DrawResult<DB> {
    match pen {
        Pen::Raster => put(
            area,
            pen,
            text,
            (x - text_width(text, size) / 2, y),
            size,
            INK,
        ),
        Pen::Svg => area.draw(&Text::new(
            text.to_string(),
            (x, y),
            (FAMILY, size as f64).into_font().color(&INK).pos(
                plotters::style::text_anchor::Pos::new(
                    plotters::style::text_anchor::HPos::Center,
                    plotters::style::text_anchor::VPos::Top,
                ),
            ),
        )),
    }
}

/// A legend entry: a short line or marker in a colour, then a label.
struct Key {
    label: String,
    color: RGBColor,
    dashed: bool,
    marker: bool,
    circle: bool,
}

/// Where each key of a legend goes: `(column, row)` and the second column's offset. Keys come
/// in pairs (a track and its server count side by side); when a label of the first column is
/// too long for half the width, the second column moves right, and when the pair does not fit
/// side by side at all, every key gets a row of its own.
fn legend_places(keys: &[Option<Key>]) -> (Vec<Option<(i32, i32)>>, i32) {
    let room = WIDTH as i32 - LEGEND_X - 20;
    let needed = |k: &Key| 34 + text_width(&k.label, 14.0) + 16;
    let left = keys
        .iter()
        .step_by(2)
        .flatten()
        .map(needed)
        .max()
        .unwrap_or(0);
    let right = keys
        .iter()
        .skip(1)
        .step_by(2)
        .flatten()
        .map(needed)
        .max()
        .unwrap_or(0);
    let column = if left <= room / 2 && right <= room - room / 2 {
        Some(room / 2)
    } else if left + right <= room {
        Some(left)
    } else {
        None
    };
    let mut row = 0;
    let places = keys
        .iter()
        .enumerate()
        .map(|(k, key)| {
            key.as_ref()?;
            Some(match column {
                Some(_) => ((k % 2) as i32, (k / 2) as i32),
                None => {
                    row += 1;
                    (0, row - 1)
                }
            })
        })
        .collect();
    (places, column.unwrap_or(room))
}

/// Draws keys in one or two columns starting at `at`.
fn legend<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    pen: Pen,
    keys: &[Option<Key>],
    at: (i32, i32),
) -> DrawResult<DB> {
    let (places, column) = legend_places(keys);
    for (key, place) in keys.iter().zip(places) {
        let (Some(key), Some((col, row))) = (key, place) else {
            continue;
        };
        let x = at.0 + col * column;
        let y = at.1 + 10 + row * LEGEND_ROW;
        if key.marker {
            area.draw(&TriangleMarker::new((x + 12, y), 6, key.color.filled()))?;
        } else if key.circle {
            area.draw(&Circle::new((x + 12, y), 4, key.color.stroke_width(2)))?;
        } else if key.dashed {
            for s in 0..3 {
                area.draw(&PathElement::new(
                    vec![(x + s * 9, y), (x + s * 9 + 5, y)],
                    key.color.stroke_width(2),
                ))?;
            }
        } else {
            area.draw(&PathElement::new(
                vec![(x, y), (x + 24, y)],
                key.color.stroke_width(3),
            ))?;
        }
        put(area, pen, &key.label, (x + 34, y - 9), 14.0, INK)?;
    }
    Ok(())
}

/// The badge beside a marker that stands for `n` 429s.
fn badge(n: usize) -> String {
    let times = FONT.as_ref().is_some_and(|f| f.glyph_id('×').0 != 0);
    format!("{}{n}", if times { '×' } else { 'x' })
}

const BADGE_SIZE: f32 = 12.0;
/// Half the width of a 429 marker, in pixels.
const MARKER_HALF: i32 = 7;

/// 429 markers in pixels, `(row, x, y)`, merged where they would overlap on the same row:
/// `(x, y, count)`. A marker that stands for several gets a count badge on its right, and the
/// next marker must clear the badge.
fn clusters(mut points: Vec<(usize, i32, i32)>) -> Vec<(i32, i32, usize)> {
    points.sort_unstable();
    let mut out: Vec<(usize, i32, i32, usize)> = Vec::new();
    for (row, x, y) in points {
        if let Some(last) = out.last_mut()
            && last.0 == row
        {
            let reach = if last.3 == 1 {
                2 * MARKER_HALF - 2
            } else {
                2 * MARKER_HALF + text_width(&badge(last.3 + 1), BADGE_SIZE) + 2
            };
            if x - last.1 < reach {
                last.3 += 1;
                last.2 = last.2.min(y);
                continue;
            }
        }
        out.push((row, x, y, 1));
    }
    out.into_iter().map(|(_, x, y, n)| (x, y, n)).collect()
}

/// Draws 429 markers (pixels within `area`) with count badges where several share a place.
fn draw_markers<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    pen: Pen,
    points: Vec<(usize, i32, i32)>,
    size: i32,
) -> DrawResult<DB> {
    for (x, y, n) in clusters(points) {
        area.draw(&TriangleMarker::new((x, y), size, THROTTLED.filled()))?;
        if n > 1 {
            let text = badge(n);
            // beside the marker, level with it: clear of the lane name above
            let at = (x + MARKER_HALF + 1, y - BADGE_SIZE as i32 / 2 - 2);
            area.draw(&Rectangle::new(
                [
                    (at.0 - 1, at.1),
                    (
                        at.0 + text_width(&text, BADGE_SIZE) + 1,
                        at.1 + BADGE_SIZE as i32 + 2,
                    ),
                ],
                WHITE.mix(0.85).filled(),
            ))?;
            put(area, pen, &text, at, BADGE_SIZE, THROTTLED)?;
        }
    }
    Ok(())
}

/// Pixel height of a legend.
fn legend_height(keys: &[Option<Key>]) -> u32 {
    let rows = legend_places(keys)
        .0
        .iter()
        .flatten()
        .map(|p| p.1 + 1)
        .max()
        .unwrap_or(0);
    rows as u32 * LEGEND_ROW as u32 + 8
}

/// Keys of the tracks panel, as rows of two cells (a track and its server count side by side).
fn track_keys(t: &Timeline) -> Vec<Option<Key>> {
    let mut keys = Vec::new();
    for (k, tr) in t.tracks.iter().enumerate() {
        let c = TRACK_COLORS[k % TRACK_COLORS.len()];
        let peak = tr.points.iter().map(|p| p.1).max().unwrap_or(0);
        let admitted = tr.admitted.iter().map(|p| p.1).max().unwrap_or(0);
        keys.push(Some(Key {
            label: match tr.limit {
                Some(l) if admitted < peak => format!(
                    "{}: admitted, peak {admitted} of {l} (thin: all attempts, peak {peak})",
                    tr.label
                ),
                Some(l) => format!("{}: peak {peak} of {l}", tr.label),
                None => tr.label.to_string(),
            },
            color: c,
            dashed: false,
            marker: false,
            circle: false,
        }));
        keys.push((!tr.server.is_empty()).then(|| Key {
            label: "its count on the server (rate-limit header)".into(),
            color: c,
            dashed: false,
            marker: false,
            circle: true,
        }));
        if !tr.hidden.is_empty() {
            // a row of its own: the pairs above stay side by side
            keys.push(Some(Key {
                label: "with the traffic the server's log names stacked on top (dashed)".into(),
                color: c,
                dashed: true,
                marker: false,
                circle: false,
            }));
            keys.push(None);
        }
    }
    keys.push(Some(Key {
        label: "100 % = the layer's limit".into(),
        color: THROTTLED,
        dashed: true,
        marker: false,
        circle: false,
    }));
    keys.push(Some(Key {
        label: "429 (shade: the Retry-After wait)".into(),
        color: THROTTLED,
        dashed: false,
        marker: true,
        circle: false,
    }));
    keys
}

/// Keys of the in-flight panel.
fn flight_keys(t: &Timeline) -> Vec<Option<Key>> {
    let Some(tr) = &t.in_flight else {
        return Vec::new();
    };
    let mut keys = vec![Some(Key {
        label: tr.label.to_string(),
        color: SERVER_ERR,
        dashed: false,
        marker: false,
        circle: false,
    })];
    if let Some(limit) = tr.limit {
        keys.push(Some(Key {
            label: format!("about {limit} allowed (inferred from the capture)"),
            color: SERVER_ERR,
            dashed: true,
            marker: false,
            circle: false,
        }));
    }
    keys
}

fn tracks_height(t: &Timeline) -> u32 {
    if t.tracks.is_empty() {
        0
    } else {
        PANEL_TOP + legend_height(&track_keys(t)) + TRACKS_PLOT
    }
}

fn flight_height(t: &Timeline) -> u32 {
    if t.in_flight.is_none() {
        0
    } else {
        PANEL_TOP + legend_height(&flight_keys(t)) + FLIGHT_PLOT
    }
}

fn x_range(t: &Timeline) -> (Micros, Micros) {
    let span = (t.end - t.start).max(time::SECOND);
    let pad = span / 40;
    (t.start - pad, t.end + pad)
}

/// Right margin that keeps the last time label (centred on its tick) inside the image.
fn right_margin(t: &Timeline, size: f32) -> u32 {
    let (_, x1) = x_range(t);
    let widest = text_width(&tick_label(t)(&x1), size);
    (widest / 2 + 8).max(12) as u32
}

fn tick_label(t: &Timeline) -> impl Fn(&Micros) -> String + '_ {
    let short = t.end - t.start < 20 * time::SECOND;
    move |x: &Micros| {
        let s = time::clock_local(*x, t.utc_offset_s);
        if short {
            s
        } else {
            s.chars().take(8).collect()
        }
    }
}

fn draw<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    t: &Timeline,
    pen: Pen,
) -> DrawResult<DB> {
    root.fill(&WHITE)?;
    let title = if t.title.as_str().is_empty() {
        SafeLabel::fixed("no requests")
    } else {
        t.title.clone()
    };
    let (w, _) = root.dim_in_pixel();
    put_centred(root, pen, title.as_str(), (w as i32 / 2, 14), 24.0)?;
    let (_, body) = root.split_vertically(TITLE_H);
    let (tracks_area, rest) = body.split_vertically(tracks_height(t));
    let (flight_area, lanes_area) = rest.split_vertically(flight_height(t));
    if !t.tracks.is_empty() {
        draw_tracks(&tracks_area, t, pen)?;
    }
    if t.in_flight.is_some() {
        draw_in_flight(&flight_area, t, pen)?;
    }
    draw_lanes(&lanes_area, t, pen)
}

fn step(points: &[(Micros, f64)]) -> Vec<(Micros, f64)> {
    let mut out = Vec::with_capacity(points.len() * 2);
    let mut prev: Option<f64> = None;
    for &(x, y) in points {
        if let Some(p) = prev {
            out.push((x, p));
        }
        out.push((x, y));
        prev = Some(y);
    }
    out
}

fn percent(points: &[(Micros, u64)], limit: Option<u64>) -> Vec<(Micros, f64)> {
    let l = limit.unwrap_or(1).max(1) as f64;
    points
        .iter()
        .map(|&(x, y)| (x, y as f64 * 100.0 / l))
        .collect()
}

fn draw_tracks<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    t: &Timeline,
    pen: Pen,
) -> DrawResult<DB> {
    let keys = track_keys(t);
    put(
        area,
        pen,
        "share of each layer's budget in use",
        (70, 2),
        15.0,
        INK,
    )?;
    legend(area, pen, &keys, (LEGEND_X, PANEL_TOP as i32))?;
    let (_, area) = area.split_vertically(PANEL_TOP + legend_height(&keys));
    let (x0, x1) = x_range(t);
    let series: Vec<Vec<(Micros, f64)>> = t
        .tracks
        .iter()
        .map(|tr| percent(&tr.points, tr.limit))
        .collect();
    let server: Vec<Vec<(Micros, f64)>> = t
        .tracks
        .iter()
        .map(|tr| percent(&tr.server, tr.limit))
        .collect();
    let hidden: Vec<Vec<(Micros, f64)>> = t
        .tracks
        .iter()
        .map(|tr| percent(&tr.hidden, tr.limit))
        .collect();
    let top = series
        .iter()
        .chain(&server)
        .chain(&hidden)
        .flatten()
        .map(|p| p.1)
        .fold(100.0f64, f64::max);
    let ymax = top * 1.12;
    let fmt = tick_label(t);
    // room for the longest tick label, which is at most the top of the axis
    let y_labels = text_width(&format!("{ymax:.0} %"), 14.0) + 18;
    let mut chart = ChartBuilder::on(&area)
        .margin(12)
        .margin_top(4)
        .margin_right(right_margin(t, 14.0))
        .x_label_area_size(30)
        .y_label_area_size(y_labels.max(40) as u32)
        .build_cartesian_2d(x0..x1, 0f64..ymax)?;
    chart
        .configure_mesh()
        .x_labels(10)
        .y_labels(6)
        .x_label_formatter(&fmt)
        .y_label_formatter(&|y| format!("{y:.0} %"))
        .label_style((FAMILY, 14))
        .light_line_style(WHITE.mix(0.0))
        .bold_line_style(BLACK.mix(0.08))
        .draw()?;
    chart.draw_series(t.waits.iter().map(|w| {
        Rectangle::new(
            [(w.from, 0.0), (w.until, ymax)],
            THROTTLED.mix(0.06).filled(),
        )
    }))?;
    chart.draw_series(DashedLineSeries::new(
        vec![(x0, 100.0), (x1, 100.0)],
        10,
        6,
        THROTTLED.mix(0.7).stroke_width(2),
    ))?;
    let admitted: Vec<Vec<(Micros, f64)>> = t
        .tracks
        .iter()
        .map(|tr| percent(&tr.admitted, tr.limit))
        .collect();
    for (k, pts) in series.iter().enumerate() {
        let c = TRACK_COLORS[k % TRACK_COLORS.len()];
        if admitted[k].is_empty() {
            chart.draw_series(LineSeries::new(step(pts), c.stroke_width(2)))?;
        } else {
            chart.draw_series(LineSeries::new(step(pts), c.mix(0.45).stroke_width(1)))?;
            chart.draw_series(LineSeries::new(step(&admitted[k]), c.stroke_width(3)))?;
        }
        if !hidden[k].is_empty() {
            chart.draw_series(DashedLineSeries::new(
                step(&hidden[k]),
                8,
                5,
                c.stroke_width(2),
            ))?;
        }
        chart.draw_series(
            server[k]
                .iter()
                .map(|&(x, y)| Circle::new((x, y), 4, c.stroke_width(2))),
        )?;
    }
    let line = admitted
        .first()
        .filter(|a| !a.is_empty())
        .or(series.first());
    if let Some(first) = line {
        let at = |x: Micros| -> f64 {
            let k = first.partition_point(|p| p.0 <= x);
            if k == 0 { 0.0 } else { first[k - 1].1 }
        };
        let (bx, by) = area.get_base_pixel();
        let points = t
            .throttles
            .iter()
            .map(|(x, _)| {
                let (px, py) = chart.backend_coord(&(*x, at(*x)));
                (0, px - bx, py - by)
            })
            .collect();
        draw_markers(&area, pen, points, 7)?;
    }
    Ok(())
}

fn draw_in_flight<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    t: &Timeline,
    pen: Pen,
) -> DrawResult<DB> {
    let Some(tr) = &t.in_flight else {
        return Ok(());
    };
    let keys = flight_keys(t);
    put(area, pen, "requests in flight", (70, 2), 15.0, INK)?;
    legend(area, pen, &keys, (LEGEND_X, PANEL_TOP as i32))?;
    let (_, area) = area.split_vertically(PANEL_TOP + legend_height(&keys));
    let (x0, x1) = x_range(t);
    let top = tr.points.iter().map(|p| p.1).max().unwrap_or(1) as f64;
    let fmt = tick_label(t);
    let y_labels = text_width(&format!("{:.0}", top + 1.0), 13.0) + 18;
    let mut chart = ChartBuilder::on(&area)
        .margin(12)
        .margin_top(4)
        .margin_right(right_margin(t, 13.0))
        .x_label_area_size(26)
        .y_label_area_size(y_labels.max(40) as u32)
        .build_cartesian_2d(x0..x1, 0f64..(top + 1.0))?;
    chart
        .configure_mesh()
        .x_labels(10)
        .y_labels(4)
        .x_label_formatter(&fmt)
        .y_label_formatter(&|y| format!("{y:.0}"))
        .label_style((FAMILY, 13))
        .light_line_style(WHITE.mix(0.0))
        .bold_line_style(BLACK.mix(0.08))
        .draw()?;
    let pts: Vec<(Micros, f64)> = tr.points.iter().map(|&(x, y)| (x, y as f64)).collect();
    chart.draw_series(LineSeries::new(step(&pts), SERVER_ERR.stroke_width(2)))?;
    if let Some(limit) = tr.limit {
        chart.draw_series(DashedLineSeries::new(
            vec![(x0, limit as f64), (x1, limit as f64)],
            8,
            6,
            SERVER_ERR.mix(0.7).stroke_width(2),
        ))?;
    }
    Ok(())
}

fn draw_lanes<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    t: &Timeline,
    pen: Pen,
) -> DrawResult<DB> {
    let (x0, x1) = x_range(t);
    let n = t.lanes.len().max(1) as f64;
    let fmt = tick_label(t);
    let (_, h) = area.dim_in_pixel();
    let mut chart = ChartBuilder::on(area)
        .margin(12)
        .margin_right(right_margin(t, 14.0))
        .x_label_area_size(56)
        .y_label_area_size(56)
        .build_cartesian_2d(x0..x1, 0f64..n)?;
    chart
        .configure_mesh()
        .x_labels(10)
        .y_labels(0)
        .x_label_formatter(&fmt)
        .label_style((FAMILY, 14))
        .light_line_style(WHITE.mix(0.0))
        .bold_line_style(BLACK.mix(0.08))
        .draw()?;
    let row = |lane: usize| n - 1.0 - lane as f64;
    chart.draw_series(t.waits.iter().map(|w| {
        let y = row(w.lane);
        Rectangle::new(
            [(w.from, y + 0.02), (w.until, y + 0.5)],
            THROTTLED.mix(0.12).filled(),
        )
    }))?;
    for (k, lane) in t.lanes.iter().enumerate() {
        let y = row(k);
        if t.binned {
            let width = ((t.end - t.start) / crate::report::timeline::BINS as i64).max(1);
            chart.draw_series(lane.bins.iter().map(|b| {
                let worst = b
                    .counts
                    .keys()
                    .copied()
                    .max_by_key(|o| match o {
                        Outcome::Throttled => 5,
                        Outcome::ServerError => 4,
                        Outcome::ClientError => 3,
                        Outcome::Failed => 2,
                        Outcome::Ok => 1,
                        Outcome::Preflight => 0,
                    })
                    .unwrap_or(Outcome::Ok);
                Rectangle::new(
                    [(b.at, y + 0.05), (b.at + width, y + 0.45)],
                    color(worst).filled(),
                )
            }))?;
        } else {
            chart.draw_series(lane.ticks.iter().map(|tk| {
                let (lo, hi, w) = match tk.outcome {
                    Outcome::Preflight => (y + 0.05, y + 0.25, 1),
                    Outcome::Throttled => (y + 0.02, y + 0.5, 3),
                    _ => (y + 0.05, y + 0.45, 2),
                };
                PathElement::new(
                    vec![(tk.at, lo), (tk.at, hi)],
                    color(tk.outcome).stroke_width(w),
                )
            }))?;
        }
    }
    // lane names above their rows, in pixels, on a light backing so ticks under them cannot
    // make them unreadable
    let plot_h = h as f64 - 12.0 - 56.0 - 12.0;
    for k in 0..t.lanes.len() {
        let top = 12.0 + plot_h * (k as f64) / n;
        let label = t.lanes[k].label.as_str();
        area.draw(&Rectangle::new(
            [
                (72, top as i32 + 1),
                (76 + text_width(label, 14.0), top as i32 + 18),
            ],
            WHITE.mix(0.8).filled(),
        ))?;
        put(area, pen, label, (74, top as i32 + 2), 14.0, INK)?;
    }
    // 429s over the names: a count badge must never hide under a name
    let (bx, by) = area.get_base_pixel();
    let points = t
        .throttles
        .iter()
        .map(|(x, lane)| {
            let (px, py) = chart.backend_coord(&(*x, row(*lane) + 0.58));
            (*lane, px - bx, py - by)
        })
        .collect();
    draw_markers(area, pen, points, 6)?;
    let caption = format!(
        "time ({}) · ticks: green 2xx/3xx, red 429, orange other 4xx, purple 5xx, grey no response, short blue preflight",
        time::offset_label(t.utc_offset_s)
    );
    let (w, _) = area.dim_in_pixel();
    put_centred(area, pen, &caption, (w as i32 / 2, h as i32 - 22), 14.0)
}
