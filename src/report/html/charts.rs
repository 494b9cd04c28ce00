//! Inline SVG charts for the HTML report: horizontal bars and a trend of columns. Plain
//! SVG elements with text labels, so the report stays one file that opens offline and
//! prints, and a chart is readable without colour.

use super::esc;
use std::fmt::Write;

const WIDTH: usize = 520;
const BAR: usize = 18;
const LABEL: usize = 170;

/// One bar per `(label, value)`, longest first as given; an empty list draws a note.
pub fn bars(title: &str, data: &[(String, usize)]) -> String {
    let mut out = format!(
        "<figure class=\"chart\"><figcaption>{}</figcaption>",
        esc(title)
    );
    if data.is_empty() {
        out.push_str("<p class=\"none\">none</p></figure>");
        return out;
    }
    let max = data.iter().map(|(_, v)| *v).max().unwrap_or(1).max(1);
    let height = data.len() * (BAR + 6) + 4;
    let _ = write!(
        out,
        "<svg role=\"img\" aria-label=\"{}\" viewBox=\"0 0 {WIDTH} {height}\" width=\"100%\" preserveAspectRatio=\"xMinYMin meet\">",
        esc(title)
    );
    let room = WIDTH - LABEL - 50;
    for (i, (label, value)) in data.iter().enumerate() {
        let y = i * (BAR + 6) + 2;
        let w = (value * room).div_ceil(max).max(1);
        let _ = write!(
            out,
            "<text x=\"{}\" y=\"{}\" text-anchor=\"end\" font-size=\"12\">{}</text><rect x=\"{LABEL}\" y=\"{y}\" width=\"{w}\" height=\"{BAR}\" fill=\"#4a6fa5\"/><text x=\"{}\" y=\"{}\" font-size=\"12\">{value}</text>",
            LABEL - 6,
            y + BAR - 5,
            esc(&shorten(label, 26)),
            LABEL + w + 4,
            y + BAR - 5,
        );
    }
    out.push_str("</svg></figure>");
    out
}

/// Open findings over scans: a pair of columns (deny, warn) per scan, labelled by date.
pub fn trend(title: &str, points: &[(String, u64, u64)]) -> String {
    let mut out = format!(
        "<figure class=\"chart\"><figcaption>{}</figcaption>",
        esc(title)
    );
    if points.is_empty() {
        out.push_str("<p class=\"none\">no scans</p></figure>");
        return out;
    }
    let max = points
        .iter()
        .map(|(_, d, w)| d + w)
        .max()
        .unwrap_or(1)
        .max(1) as usize;
    let (height, top, bottom) = (180, 14, 30);
    let slot = ((WIDTH - 20) / points.len()).clamp(8, 80);
    let _ = write!(
        out,
        "<svg role=\"img\" aria-label=\"{}\" viewBox=\"0 0 {WIDTH} {height}\" width=\"100%\" preserveAspectRatio=\"xMinYMin meet\">",
        esc(title)
    );
    let room = height - top - bottom;
    for (i, (label, deny, warn)) in points.iter().enumerate() {
        let x = 10 + i * slot;
        let w = (slot / 2).saturating_sub(2).max(2);
        for (j, (n, colour)) in [(*deny, "#b00020"), (*warn, "#c58a00")].iter().enumerate() {
            let h = (*n as usize * room).div_ceil(max);
            let _ = write!(
                out,
                "<rect x=\"{}\" y=\"{}\" width=\"{w}\" height=\"{h}\" fill=\"{colour}\"><title>{n}</title></rect>",
                x + j * (w + 1),
                top + room - h
            );
        }
        let _ = write!(
            out,
            "<text x=\"{x}\" y=\"{}\" font-size=\"10\">{}</text><text x=\"{x}\" y=\"{}\" font-size=\"10\">{deny}/{warn}</text>",
            height - 16,
            esc(label),
            height - 4
        );
    }
    out.push_str("</svg><p class=\"legend\">columns: open deny (red) and warn (amber) findings at each scan; labels: date, deny/warn</p></figure>");
    out
}

fn shorten(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        return text.to_string();
    }
    let mut s: String = text.chars().take(max - 1).collect();
    s.push('…');
    s
}
