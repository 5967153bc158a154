//! The sign-in code email: the six digits on a line of their own, how long they last, and what
//! to do when the shopper did not ask. French by default, English for `en` customers.

use super::emails::RenderedEmail;
use super::text_format::escape_html;
use super::Locale;

pub fn render_sign_in_code(code: &str, minutes: i64, locale: Locale) -> RenderedEmail {
    let (subject, intro, validity, unasked) = match locale {
        Locale::Fr => (
            format!("Votre code de connexion : {code}"),
            "Voici votre code pour vous connecter à votre compte :",
            format!("Il est valable {minutes} minutes et ne sert qu'une fois."),
            "Si vous n'avez rien demandé, ignorez ce message : personne ne peut se connecter \
             sans ce code.",
        ),
        Locale::En => (
            format!("Your sign-in code: {code}"),
            "Here is your code to sign in to your account:",
            format!("It is valid for {minutes} minutes and works once."),
            "If you did not ask for it, ignore this message: nobody can sign in without this \
             code.",
        ),
    };
    let text = format!("{intro}\n\n{code}\n\n{validity}\n\n{unasked}");
    let html = format!(
        "<!DOCTYPE html><html><head><meta charset=\"utf-8\"><title>{}</title></head><body>\
         <p>{}</p><p style=\"font-size:1.6em;letter-spacing:0.2em\"><strong>{}</strong></p>\
         <p>{}</p><p>{}</p></body></html>",
        escape_html(&subject),
        escape_html(intro),
        escape_html(code),
        escape_html(&validity),
        escape_html(unasked)
    );
    RenderedEmail {
        subject,
        text,
        html,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_code_stands_on_its_own_line_in_both_languages() {
        let fr = render_sign_in_code("042917", 10, Locale::Fr);
        assert!(fr.subject.starts_with("Votre code de connexion"));
        assert!(fr.text.contains("\n\n042917\n\n"));
        assert!(fr.text.contains("10 minutes"));
        let en = render_sign_in_code("042917", 10, Locale::En);
        assert!(en.subject.starts_with("Your sign-in code"));
        assert!(en.html.contains("<strong>042917</strong>"));
    }
}
