//! The one typeface the documents use, embedded in the binary (Liberation Sans 2.1, SIL OFL 1.1:
//! `shared/assets/fonts/`), and its text widths. PDF/A forbids a glyph the font does not have,
//! so text is first reduced to what the font can draw.

use skrifa::instance::{LocationRef, Size};
use skrifa::{FontRef, MetadataProvider};

pub static REGULAR: &[u8] = include_bytes!("../../assets/fonts/LiberationSans-Regular.ttf");

/// `text` with every character the font lacks (or a control character) replaced by `?`.
pub fn drawable(text: &str) -> String {
    let Ok(font) = FontRef::new(REGULAR) else {
        return text.to_string();
    };
    let charmap = font.charmap();
    text.chars()
        .map(|c| {
            if c.is_control() || charmap.map(c).is_none() {
                '?'
            } else {
                c
            }
        })
        .collect()
}

/// The advance width of `text` at `size` points.
pub fn width(text: &str, size: f32) -> f32 {
    let Ok(font) = FontRef::new(REGULAR) else {
        return 0.0;
    };
    let charmap = font.charmap();
    let metrics = font.glyph_metrics(Size::new(size), LocationRef::default());
    text.chars()
        .filter_map(|c| charmap.map(c))
        .filter_map(|glyph| metrics.advance_width(glyph))
        .sum()
}

/// `text` broken into lines no wider than `max` at `size` (at word boundaries; a word wider than
/// a line is cut), at most `max_lines`, the last one ending in "…" when text was left out.
pub fn wrap(text: &str, size: f32, max: f32, max_lines: usize) -> Vec<String> {
    let mut lines: Vec<String> = Vec::new();
    let mut current = String::new();
    for word in text.split_whitespace() {
        let candidate = if current.is_empty() {
            word.to_string()
        } else {
            format!("{current} {word}")
        };
        if width(&candidate, size) <= max {
            current = candidate;
            continue;
        }
        if !current.is_empty() {
            lines.push(std::mem::take(&mut current));
        }
        current = word.to_string();
        while width(&current, size) > max {
            let cut = fit(&current, size, max);
            let rest = current.split_off(cut);
            lines.push(std::mem::replace(&mut current, rest));
        }
    }
    if !current.is_empty() {
        lines.push(current);
    }
    if lines.len() > max_lines {
        lines.truncate(max_lines);
        if let Some(last) = lines.last_mut() {
            while !last.is_empty() && width(&format!("{last}…"), size) > max {
                last.pop();
            }
            last.push('…');
        }
    }
    lines
}

/// The byte length of the longest prefix of `text` that fits in `max` (one character at least).
fn fit(text: &str, size: f32, max: f32) -> usize {
    let mut end = 0;
    for (i, c) in text.char_indices() {
        let next = i + c.len_utf8();
        if end > 0 && width(&text[..next], size) > max {
            break;
        }
        end = next;
    }
    end
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn widths_grow_with_text_and_size() {
        assert!(width("Total TTC", 10.0) > width("Total", 10.0));
        assert!((width("8", 20.0) - 2.0 * width("8", 10.0)).abs() < 0.001);
        // Arial-compatible digits: 0.556 em.
        assert!((width("0", 10.0) - 5.56).abs() < 0.01);
    }

    #[test]
    fn characters_the_font_lacks_become_question_marks() {
        assert_eq!(drawable("Café 🎉\u{7}"), "Café ??");
        assert_eq!(drawable("1\u{202f}234,56 €"), "1\u{202f}234,56 €");
    }

    #[test]
    fn wrapping_keeps_every_line_inside_and_marks_what_was_cut() {
        let text = "Chaise en chêne massif avec assise tressée, finition huilée, livrée montée";
        let lines = wrap(text, 9.0, 120.0, 2);
        assert_eq!(lines.len(), 2);
        assert!(lines.iter().all(|l| width(l, 9.0) <= 120.0));
        assert!(lines[1].ends_with('…'));
        let long_word = "x".repeat(200);
        assert!(wrap(&long_word, 9.0, 50.0, 10)
            .iter()
            .all(|l| width(l, 9.0) <= 50.0));
        assert_eq!(wrap("Stylo", 9.0, 120.0, 2), vec!["Stylo".to_string()]);
    }
}
