//! Text from outside (a PSP's or SES's error message, which may quote an email address, a
//! phone number or a card number back at us) made safe to log: every email address masked to
//! `j***@example.fr`, every IBAN-shaped word (two capitals, two digits, then 11 to 30 letters
//! and digits, spaces between groups of four included) cut to its country and last four, every
//! run of eight digits or more (spaces, dots and dashes between them included) replaced by
//! `#`s. Ids such as `pi_3QxA…` keep their letters and short digit runs.

use std::fmt;

/// `text` with addresses masked and long digit runs hidden.
pub fn log_safe(text: &str) -> String {
    hide_digit_runs(&hide_ibans(&mask_emails(text)))
}

/// `FR76 3000 4000 0312 3456 7890 143` or `FR7630004000031234567890143` → `FR…0143`.
fn hide_ibans(text: &str) -> String {
    let chars: Vec<char> = text.chars().collect();
    let mut out = String::with_capacity(text.len());
    let mut i = 0;
    while i < chars.len() {
        match iban_at(&chars, i) {
            Some((end, kept)) => {
                out.extend(&kept[..2]);
                out.push('…');
                out.extend(&kept[kept.len() - 4..]);
                i = end;
            }
            None => {
                out.push(chars[i]);
                i += 1;
            }
        }
    }
    out
}

/// An IBAN starting at `i` (written whole, or in groups of four): where it ends and its
/// characters.
fn iban_at(chars: &[char], i: usize) -> Option<(usize, Vec<char>)> {
    let word_start = i == 0 || !chars[i - 1].is_ascii_alphanumeric();
    let head = chars.get(i..i + 4)?;
    if !(word_start
        && head[0].is_ascii_uppercase()
        && head[1].is_ascii_uppercase()
        && head[2].is_ascii_digit()
        && head[3].is_ascii_digit())
    {
        return None;
    }
    let word = |from: usize| {
        chars[from..]
            .iter()
            .take_while(|c| c.is_ascii_alphanumeric())
            .count()
    };
    let first = word(i);
    let (end, kept): (usize, Vec<char>) = if first >= 15 {
        (i + first, chars[i..i + first].to_vec())
    } else if first == 4 {
        // Groups of four, the last one shorter.
        let (mut end, mut kept) = (i + 4, chars[i..i + 4].to_vec());
        while chars.get(end) == Some(&' ') {
            let n = word(end + 1);
            if !(1..=4).contains(&n) {
                break;
            }
            kept.extend(&chars[end + 1..end + 1 + n]);
            end += 1 + n;
            if n < 4 {
                break;
            }
        }
        (end, kept)
    } else {
        return None;
    };
    let digits = kept.iter().filter(|c| c.is_ascii_digit()).count();
    ((15..=34).contains(&kept.len()) && digits >= 8).then_some((end, kept))
}

/// `Display` of `value`, made safe to log: `error = %LogSafe(&e)`.
pub struct LogSafe<'a, T: fmt::Display + ?Sized>(pub &'a T);

impl<T: fmt::Display + ?Sized> fmt::Display for LogSafe<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&log_safe(&self.0.to_string()))
    }
}

fn mask_emails(text: &str) -> String {
    let local = |c: char| c.is_alphanumeric() || "._%+-".contains(c);
    let chars: Vec<char> = text.chars().collect();
    // For each address, the part of its local name after the first character.
    let mut hidden = Vec::new();
    for (at, _) in chars.iter().enumerate().filter(|(_, c)| **c == '@') {
        let mut start = at;
        while start > 0 && local(chars[start - 1]) {
            start -= 1;
        }
        if start < at {
            hidden.push((start + 1, at));
        }
    }
    let mut out = String::with_capacity(text.len());
    let mut i = 0;
    for (from, to) in hidden {
        out.extend(&chars[i..from]);
        out.push_str("***");
        i = to;
    }
    out.extend(&chars[i..]);
    out
}

fn hide_digit_runs(text: &str) -> String {
    let chars: Vec<char> = text.chars().collect();
    let mut out = String::with_capacity(text.len());
    let mut i = 0;
    while i < chars.len() {
        let starts_run = chars[i].is_ascii_digit()
            && (i == 0 || !chars[i - 1].is_ascii_alphanumeric() || chars[i - 1] == '+');
        if !starts_run {
            out.push(chars[i]);
            i += 1;
            continue;
        }
        let mut end = i;
        let mut digits = 0;
        while end < chars.len() {
            let c = chars[end];
            if c.is_ascii_digit() {
                digits += 1;
                end += 1;
            } else if matches!(c, ' ' | '.' | '-')
                && chars.get(end + 1).is_some_and(char::is_ascii_digit)
                && end > i
                && chars[end - 1].is_ascii_digit()
            {
                end += 1;
            } else {
                break;
            }
        }
        if digits >= 8 {
            out.extend(std::iter::repeat_n('#', digits.min(4)));
        } else {
            out.extend(&chars[i..end]);
        }
        i = end.max(i + 1);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ibans_keep_only_their_country_and_last_four() {
        assert_eq!(
            log_safe("IBAN: FR7630004000031234567890143 is refused"),
            "IBAN: FR…0143 is refused"
        );
        assert_eq!(
            log_safe("iban FR76 3000 4000 0312 3456 7890 143."),
            "iban FR…0143."
        );
        assert_eq!(log_safe("GB29NWBK60161331926819"), "GB…6819");
        assert_eq!(
            log_safe("order ORD-10042 pi_3QxA"),
            "order ORD-10042 pi_3QxA"
        );
        assert_eq!(log_safe("FR12 VAT"), "FR12 VAT");
    }

    #[test]
    fn addresses_and_long_numbers_are_hidden() {
        assert_eq!(
            log_safe("No such customer: jeanne.martin@example.fr (cus_Rq1)"),
            "No such customer: j***@example.fr (cus_Rq1)"
        );
        assert_eq!(
            log_safe("to a@b.fr and bob.smith@example.org"),
            "to a***@b.fr and b***@example.org"
        );
        assert_eq!(log_safe("call +33 6 12 34 56 78 now"), "call +#### now");
        assert_eq!(log_safe("card 4242 4242 4242 4242"), "card ####");
        assert_eq!(
            log_safe("HTTP 502 after 3 tries on pi_3QxA1b2C3d4E5f6G, 2922.00 EUR"),
            "HTTP 502 after 3 tries on pi_3QxA1b2C3d4E5f6G, 2922.00 EUR"
        );
        assert_eq!(log_safe("no @ here"), "no @ here");
    }
}
