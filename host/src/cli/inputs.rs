//! What a command reads from its arguments and stdin: who, the code, the token, where to save.

use std::io::BufRead;

use anyhow::Result;

use konecty_session::{Identifier, SaveTargets};

use crate::cli::args::{CodeSource, MaybeRecipient, Recipient, Verify, env_var};
use crate::cli::exit::{Failure, Kind};

pub fn identifier(recipient: &Recipient) -> Identifier {
    either(&recipient.email, &recipient.phone).expect("clap requires --email or --phone")
}

pub fn maybe_identifier(recipient: &MaybeRecipient) -> Option<Identifier> {
    either(&recipient.email, &recipient.phone)
}

/// `--email` or `--phone` (clap lets at most one through).
pub fn either(email: &Option<String>, phone: &Option<String>) -> Option<Identifier> {
    match (email, phone) {
        (Some(email), _) => Some(Identifier::Email(email.clone())),
        (None, Some(phone)) => Some(Identifier::Phone(phone.clone())),
        (None, None) => None,
    }
}

/// What a person typed as the recipient: an email when it has an `@`, a phone when it is
/// digits with the marks people write phones with; anything else is neither. The component
/// validates either further.
pub fn typed_recipient(text: &str) -> Option<Identifier> {
    let text = text.trim();
    let phone_like = text.chars().any(|c| c.is_ascii_digit())
        && text
            .chars()
            .all(|c| c.is_ascii_digit() || " +-().".contains(c));
    if text.contains('@') {
        Some(Identifier::Email(text.to_string()))
    } else if phone_like {
        Some(Identifier::Phone(text.to_string()))
    } else {
        None
    }
}

pub fn targets(verify: &Verify) -> SaveTargets {
    let mut targets = SaveTargets::empty();
    if !verify.no_env {
        targets |= SaveTargets::ENV_FILE;
    }
    if !verify.no_credentials {
        targets |= SaveTargets::CREDENTIALS_FILE;
    }
    targets
}

/// The code: --otp-stdin or --otp, else KONECTY_OTP.
pub fn read_code(source: &CodeSource) -> Result<String> {
    if source.otp_stdin {
        return first_line_of_stdin("the code", "--otp-stdin");
    }
    // Flags first: a stale exported KONECTY_OTP must not override --otp.
    if let Some(code) = source.otp.clone().or_else(|| env_var("KONECTY_OTP")) {
        return Ok(code);
    }
    Err(Failure::new(
        Kind::Usage,
        "no code given: pipe it to --otp-stdin, or set KONECTY_OTP (see --help)",
    )
    .into())
}

pub fn read_token() -> Result<String> {
    first_line_of_stdin("the token", "--token-stdin")
}

pub fn first_line_of_stdin(what: &str, flag: &str) -> Result<String> {
    let mut line = String::new();
    std::io::stdin().lock().read_line(&mut line).map_err(|e| {
        Failure::new(
            Kind::InvalidInput,
            format!("cannot read {what} from standard input: {e}"),
        )
    })?;
    let value = line.trim();
    if value.is_empty() {
        return Err(Failure::new(
            Kind::InvalidInput,
            format!("nothing on standard input ({flag})"),
        )
        .into());
    }
    Ok(value.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_typed_recipient_is_an_email_a_phone_or_neither() {
        assert!(
            matches!(typed_recipient(" ana@example.com "), Some(Identifier::Email(e)) if e == "ana@example.com")
        );
        for phone in ["(11) 99999-9999", "+55 11 99999-9999", "11999999999"] {
            assert!(
                matches!(typed_recipient(phone), Some(Identifier::Phone(p)) if p == phone),
                "{phone}"
            );
        }
        for neither in ["not-an-email", "12ab34", "", "+-()"] {
            assert!(typed_recipient(neither).is_none(), "{neither:?}");
        }
    }
}
