//! The seller's brand as shoppers see it: a trading name, a logo and a colour, set at deploy
//! (template parameters `BrandName`, `BrandLogoUrl`, `BrandColour`). The pages read it from
//! `web/assets/config.js`; every email gets it here, as a header above the message.

use super::text_format::escape_html;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Branding {
    /// The name shoppers know the shop by (not necessarily the legal name on invoices).
    pub name: String,
    /// An `https://` image, shown above emails (and on the pages) when set.
    pub logo_url: Option<String>,
    /// `#rrggbb`.
    pub colour: String,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BrandingError {
    #[error("the name must be 1 to 80 characters without control characters")]
    Name,
    #[error("the logo must be an https:// address without spaces or quotes")]
    LogoUrl,
    #[error("the colour must be #rrggbb")]
    Colour,
    #[error("the colour must contrast at least 4.5:1 with white (WCAG AA): buttons carry white text on it")]
    Contrast,
}

/// WCAG 2 contrast ratio of `#rrggbb` (already checked) against white.
fn contrast_with_white(hex: &str) -> f64 {
    let channel = |i: usize| {
        let c = f64::from(u8::from_str_radix(&hex[i..i + 2], 16).unwrap_or(0)) / 255.0;
        if c <= 0.04045 {
            c / 12.92
        } else {
            ((c + 0.055) / 1.055).powf(2.4)
        }
    };
    let luminance = 0.2126 * channel(0) + 0.7152 * channel(2) + 0.0722 * channel(4);
    1.05 / (luminance + 0.05)
}

impl Branding {
    pub fn new(name: &str, logo_url: Option<&str>, colour: &str) -> Result<Self, BrandingError> {
        let name = name.trim();
        if name.is_empty() || name.chars().count() > 80 || name.chars().any(char::is_control) {
            return Err(BrandingError::Name);
        }
        let logo_url = match logo_url.map(str::trim).filter(|u| !u.is_empty()) {
            None => None,
            Some(url) => {
                let rest = url.strip_prefix("https://").ok_or(BrandingError::LogoUrl)?;
                let clean = !rest.is_empty()
                    && url.len() <= 2048
                    && url
                        .chars()
                        .all(|c| c.is_ascii_graphic() && !matches!(c, '"' | '\'' | '<' | '>'));
                if !clean {
                    return Err(BrandingError::LogoUrl);
                }
                Some(url.to_owned())
            }
        };
        let colour = colour.trim();
        let hex = colour.strip_prefix('#').ok_or(BrandingError::Colour)?;
        if hex.len() != 6 || !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(BrandingError::Colour);
        }
        if contrast_with_white(hex) < 4.5 {
            return Err(BrandingError::Contrast);
        }
        Ok(Self {
            name: name.to_owned(),
            logo_url,
            colour: colour.to_ascii_lowercase(),
        })
    }

    /// The email with the brand above it: in HTML a header (logo or name, a rule in the
    /// colour), in text the name on the first line.
    pub fn decorate(&self, text: &str, html: &str) -> (String, String) {
        let name = escape_html(&self.name);
        let mark = match &self.logo_url {
            Some(url) => format!(
                "<img src=\"{}\" alt=\"{name}\" height=\"48\" style=\"display:block;height:48px\">",
                escape_html(url)
            ),
            None => format!(
                "<strong style=\"font-size:20px;color:{}\">{name}</strong>",
                self.colour
            ),
        };
        let header = format!(
            "<div style=\"border-bottom:4px solid {};padding:12px 0;margin-bottom:16px\">{mark}</div>",
            self.colour
        );
        let html = match html.find("<body>") {
            Some(at) => {
                let at = at + "<body>".len();
                format!("{}{header}{}", &html[..at], &html[at..])
            }
            None => format!("{header}{html}"),
        };
        (format!("{}\n\n{text}", self.name), html)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_brand_is_checked_when_it_is_configured() {
        let brand = Branding::new(
            " Atelier Demo ",
            Some("https://cdn.example/logo.png"),
            "#1F4E79",
        )
        .unwrap();
        assert_eq!(brand.name, "Atelier Demo");
        assert_eq!(brand.colour, "#1f4e79");
        assert_eq!(Branding::new("", None, "#000000"), Err(BrandingError::Name));
        assert_eq!(
            Branding::new("A", Some("http://cdn.example/l.png"), "#000000"),
            Err(BrandingError::LogoUrl)
        );
        assert_eq!(
            Branding::new("A", Some("https://x\" onerror=\"alert(1)"), "#000000"),
            Err(BrandingError::LogoUrl)
        );
        assert_eq!(Branding::new("A", None, "blue"), Err(BrandingError::Colour));
        assert_eq!(
            Branding::new("A", None, "#12345g"),
            Err(BrandingError::Colour)
        );
        // Yellow under white text cannot be read; the pages' own blue and black can.
        assert_eq!(
            Branding::new("A", None, "#ffff00"),
            Err(BrandingError::Contrast)
        );
        assert!(Branding::new("A", None, "#0a4a8f").is_ok());
        assert!(Branding::new("A", None, "#000000").is_ok());
        assert!((contrast_with_white("767676") - 4.54).abs() < 0.01);
        assert_eq!(
            Branding::new("A", Some(" "), "#123456").unwrap().logo_url,
            None
        );
    }

    #[test]
    fn every_email_opens_with_the_brand() {
        let brand = Branding::new("Atelier <Demo>", None, "#1f4e79").unwrap();
        let (text, html) = brand.decorate(
            "Bonjour,",
            "<!DOCTYPE html><html><head></head><body><p>Bonjour,</p></body></html>",
        );
        assert!(text.starts_with("Atelier <Demo>\n\nBonjour,"));
        assert!(html.contains(
            "<body><div style=\"border-bottom:4px solid #1f4e79;padding:12px 0;margin-bottom:16px\">\
             <strong style=\"font-size:20px;color:#1f4e79\">Atelier &lt;Demo&gt;</strong></div><p>Bonjour,</p>"
        ));
        let logo = Branding::new(
            "Atelier",
            Some("https://cdn.example/logo.png?a=1&b=2"),
            "#000000",
        )
        .unwrap();
        let (_, html) = logo.decorate("", "<body></body>");
        assert!(
            html.contains("<img src=\"https://cdn.example/logo.png?a=1&amp;b=2\" alt=\"Atelier\"")
        );
    }
}
