//! The sign-in emails: the code (six digits on a line of their own, how long they last, what to
//! do when the shopper did not ask), or, to an address with no account, that there is none (so
//! the answer and its timing are the same for every address). The code is never in the subject,
//! which lock screens show. French by default, English for `en` customers.

use super::emails::RenderedEmail;
use super::text_format::escape_html;
use super::Locale;

pub fn render_sign_in_code(code: &str, minutes: i64, locale: Locale) -> RenderedEmail {
    let (subject, intro, validity, unasked) = match locale {
        Locale::Fr => (
            "Votre code de connexion".to_string(),
            "Voici votre code pour vous connecter à votre compte :",
            format!("Il est valable {minutes} minutes et ne sert qu'une fois."),
            "Si vous n'avez rien demandé, ignorez ce message : personne ne peut se connecter \
             sans ce code.",
        ),
        Locale::En => (
            "Your sign-in code".to_string(),
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

/// To an address no order or profile names: no code, and what to do about it.
pub fn render_no_account(locale: Locale) -> RenderedEmail {
    let (subject, body, unasked) = match locale {
        Locale::Fr => (
            "Votre demande de connexion",
            "Quelqu'un a demandé un code de connexion pour cette adresse, mais aucune commande \
             ni aucun compte n'y est associé. Si vous avez commandé avec une autre adresse, \
             demandez le code pour celle-ci ; vous pouvez aussi retrouver une commande avec sa \
             référence et son code postal de livraison.",
            "Si vous n'avez rien demandé, ignorez ce message.",
        ),
        Locale::En => (
            "Your sign-in request",
            "Someone asked for a sign-in code for this address, but no order or account uses \
             it. If you ordered with another address, ask for the code there; you can also find \
             an order with its reference and delivery postcode.",
            "If you did not ask for it, ignore this message.",
        ),
    };
    let text = format!("{body}\n\n{unasked}");
    let html = format!(
        "<!DOCTYPE html><html><head><meta charset=\"utf-8\"><title>{}</title></head><body>\
         <p>{}</p><p>{}</p></body></html>",
        escape_html(subject),
        escape_html(body),
        escape_html(unasked)
    );
    RenderedEmail {
        subject: subject.to_string(),
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
        assert_eq!(
            fr.subject, "Votre code de connexion",
            "never the code in the subject"
        );
        assert!(fr.text.contains("\n\n042917\n\n"));
        assert!(fr.text.contains("10 minutes"));
        let en = render_sign_in_code("042917", 10, Locale::En);
        assert!(en.subject.starts_with("Your sign-in code"));
        assert!(en.html.contains("<strong>042917</strong>"));
        let none = render_no_account(Locale::Fr);
        assert!(!none.text.chars().any(|c| c.is_ascii_digit()), "no code");
        assert!(none.text.contains("aucune commande"));
    }
}
