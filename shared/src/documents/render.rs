//! Drawing the laid-out pages with krilla into a PDF/A-3b document with the Factur-X XML as its
//! associated file. krilla checks PDF/A as it writes (fonts embedded, no missing glyph, colours
//! device-independent, an output intent, XMP) and refuses to finish otherwise.

use std::sync::Arc;

use krilla::color::rgb;
use krilla::configure::{Archival, ConfigurationBuilder};
use krilla::embed::{AssociationKind, EmbeddedFile, MimeType};
use krilla::geom::{PathBuilder, Point};
use krilla::metadata::{DateTime, Metadata};
use krilla::page::PageSettings;
use krilla::paint::{Fill, Stroke};
use krilla::surface::Surface;
use krilla::text::{Font, TextDirection};
use krilla::{Document, SerializeSettings};
use time::Date;

use super::font::REGULAR;
use super::page_layout::{start_x, Op, PAGE_HEIGHT, PAGE_WIDTH};

/// Factur-X's required name for the embedded XML.
pub const FACTURX_FILE_NAME: &str = "factur-x.xml";

const INK: (u8, u8, u8) = (0x1a, 0x1a, 0x1a);
const MUTED: (u8, u8, u8) = (0x55, 0x5b, 0x63);
const ACCENT: (u8, u8, u8) = (0x0a, 0x4a, 0x8f);
const RULE: (u8, u8, u8) = (0xb8, 0xbe, 0xc6);

#[derive(Debug, thiserror::Error)]
pub enum RenderError {
    #[error("the embedded font could not be read")]
    Font,
    #[error("the PDF could not be written: {0}")]
    Pdf(String),
}

pub struct DocumentInfo<'a> {
    pub title: String,
    pub author: &'a str,
    /// The document's date (its issue date): the PDF's dates, so the same document always gives
    /// the same bytes.
    pub date: Date,
    /// A stable identifier (the document number).
    pub id: &'a str,
}

pub fn render_pdf(
    pages: &[Vec<Op>],
    info: &DocumentInfo<'_>,
    xml: Vec<u8>,
) -> Result<Vec<u8>, RenderError> {
    let configuration = ConfigurationBuilder::new()
        .with_archival_validator(Archival::A3_B)
        .finish()
        .map_err(|e| RenderError::Pdf(format!("{e:?}")))?;
    let settings = SerializeSettings {
        configuration,
        enable_tagging: false,
        ..SerializeSettings::default()
    };
    let font_data: Arc<dyn AsRef<[u8]> + Send + Sync> = Arc::new(REGULAR);
    let font = Font::new(font_data.into(), 0).ok_or(RenderError::Font)?;
    let date = DateTime::new(info.date.year() as u16)
        .month(u8::from(info.date.month()))
        .day(info.date.day())
        .hour(0)
        .minute(0)
        .second(0)
        .utc_offset_hour(0)
        .utc_offset_minute(0);

    let mut document = Document::new_with(settings);
    document.set_metadata(
        Metadata::new()
            .title(info.title.clone())
            .authors(vec![info.author.to_string()])
            .creator("Encaisse".to_string())
            .language("fr".to_string())
            .creation_date(date)
            .document_id(info.id.to_string()),
    );
    for ops in pages {
        let settings = PageSettings::from_wh(PAGE_WIDTH, PAGE_HEIGHT)
            .ok_or_else(|| RenderError::Pdf("page size".into()))?;
        let mut page = document.start_page_with(settings);
        let mut surface = page.surface();
        for op in ops {
            draw(&mut surface, &font, op);
        }
        surface.finish();
        page.finish();
    }
    document
        .embed_file(EmbeddedFile {
            path: FACTURX_FILE_NAME.to_string(),
            mime_type: MimeType::new("text/xml"),
            description: Some("Factur-X invoice (EN 16931)".to_string()),
            association_kind: AssociationKind::Alternative,
            data: xml.into(),
            modification_date: Some(date),
            compress: Some(true),
            location: None,
        })
        .ok_or_else(|| RenderError::Pdf("the XML was embedded twice".into()))?;
    document
        .finish()
        .map_err(|e| RenderError::Pdf(format!("{e:?}")))
}

fn draw(surface: &mut Surface<'_>, font: &Font, op: &Op) {
    match op {
        Op::Text {
            x,
            y,
            size,
            text,
            align,
            muted,
        } => {
            if text.is_empty() {
                return;
            }
            surface.set_stroke(None);
            surface.set_fill(Some(Fill {
                paint: colour(if *muted { MUTED } else { INK }).into(),
                ..Fill::default()
            }));
            surface.draw_text(
                Point::from_xy(start_x(*x, *size, text, *align), *y),
                font.clone(),
                *size,
                text,
                false,
                TextDirection::Auto,
            );
        }
        Op::Rule { x1, x2, y, accent } => {
            let mut path = PathBuilder::new();
            path.move_to(*x1, *y);
            path.line_to(*x2, *y);
            let Some(path) = path.finish() else { return };
            surface.set_fill(None);
            surface.set_stroke(Some(Stroke {
                paint: colour(if *accent { ACCENT } else { RULE }).into(),
                width: if *accent { 1.2 } else { 0.5 },
                ..Stroke::default()
            }));
            surface.draw_path(&path);
        }
    }
}

fn colour((r, g, b): (u8, u8, u8)) -> rgb::Color {
    rgb::Color::new(r, g, b)
}
