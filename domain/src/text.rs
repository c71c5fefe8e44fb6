//! Small helpers for free-text fields shared by several aggregates.

/// Trims `input` and returns it if it holds between 1 and `max_chars` characters and no NUL.
///
/// Lengths are counted in Unicode scalar values rather than bytes, so that a limit means the same
/// thing to a user typing in any script. PostgreSQL's text cannot hold the NUL character: an
/// event with one would be appended (the log's payload is `json`) and then stop every read model
/// that copies the text, so no free text of any aggregate takes it, whichever way it came in.
pub(crate) fn trimmed_within(input: &str, max_chars: usize) -> Option<&str> {
    let trimmed = input.trim();
    let length = trimmed.chars().count();
    ((1..=max_chars).contains(&length) && !trimmed.contains('\0')).then_some(trimmed)
}

/// Trims `input` and returns it if it is a valid display name: 1 to `max_chars` characters and no
/// control characters.
///
/// Control characters (newlines, tabs, escape sequences) are rejected because names end up in
/// invoices, e-mails and log lines, where they would break the layout or spoof content.
pub(crate) fn display_name(input: &str, max_chars: usize) -> Option<&str> {
    trimmed_within(input, max_chars).filter(|name| !name.chars().any(char::is_control))
}

/// Trims `input`, turns `\r\n` into `\n`, and returns it if it is valid multi-line text such as
/// a postal address: 1 to `max_chars` characters and no control characters other than newlines.
///
/// Browsers submit text areas with `\r\n`; storing one line ending keeps one spelling per
/// address in the events. A lone `\r`, a tab or an escape sequence is refused like any other
/// control character.
pub(crate) fn multiline(input: &str, max_chars: usize) -> Option<String> {
    let normalized = input.replace("\r\n", "\n");
    let text = trimmed_within(&normalized, max_chars)?;
    let clean = !text
        .chars()
        .any(|character| character.is_control() && character != '\n');
    clean.then(|| text.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn length_is_counted_in_characters_not_bytes() {
        assert_eq!(trimmed_within("ééé", 3), Some("ééé"));
        assert_eq!(trimmed_within("éééé", 3), None);
    }

    #[test]
    fn surrounding_whitespace_does_not_count() {
        assert_eq!(trimmed_within("  ab  ", 2), Some("ab"));
        assert_eq!(trimmed_within("   ", 2), None);
    }

    #[test]
    fn no_text_takes_the_nul_character() {
        assert_eq!(trimmed_within("disk\0full", 100), None);
        assert_eq!(multiline("disk\0full", 100), None);
        assert_eq!(trimmed_within("disk full", 100), Some("disk full"));
    }

    #[test]
    fn display_names_reject_control_characters() {
        assert_eq!(display_name("Acme\nHosting", 200), None);
        assert_eq!(display_name("Acme Hosting", 200), Some("Acme Hosting"));
    }

    #[test]
    fn multiline_text_keeps_newlines_and_refuses_other_control_characters() {
        assert_eq!(
            multiline(" Main St 1\r\n10115 Berlin \n", 500),
            Some("Main St 1\n10115 Berlin".to_string())
        );
        assert_eq!(multiline("Main St 1\t10115 Berlin", 500), None);
        assert_eq!(multiline("Main St 1\r10115 Berlin", 500), None);
        assert_eq!(multiline(" \n ", 500), None);
        assert_eq!(multiline("abc", 2), None);
    }
}
