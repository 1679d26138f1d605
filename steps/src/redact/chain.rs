//! Error chains as users read them: each cause after the message it explains, joined by `: `
//! (as anyhow's `{:#}`), but without a cause whose text the message before it already holds.
//! Libraries often wrap an error in one that quotes it (josekit's `Invalid JWK format: X`
//! with `X` as its source), which `{:#}` would print twice.

/// `error` and its causes, each cause once.
pub fn chain(error: &anyhow::Error) -> String {
    join(error.chain().map(ToString::to_string))
}

/// `messages` (outermost first) joined by `: `, skipping one the previous already contains.
pub fn join(messages: impl IntoIterator<Item = String>) -> String {
    let mut out = String::new();
    let mut previous = String::new();
    for message in messages {
        let message = message.trim().to_string();
        if message.is_empty() || previous.contains(&message) {
            continue;
        }
        if !out.is_empty() {
            out.push_str(": ");
        }
        out.push_str(&message);
        previous = message;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_quoted_cause_is_printed_once() {
        let e = anyhow::anyhow!("The JWK kty parameter is required.")
            .context("Invalid JWK format: The JWK kty parameter is required.")
            .context("not a JWK");
        assert_eq!(
            format!("{e:#}"),
            "not a JWK: Invalid JWK format: The JWK kty parameter is required.: The JWK kty parameter is required."
        );
        assert_eq!(
            chain(&e),
            "not a JWK: Invalid JWK format: The JWK kty parameter is required."
        );
    }

    #[test]
    fn distinct_causes_are_all_kept() {
        let e = anyhow::anyhow!("connection refused").context("obtaining the SSA of recipient A");
        assert_eq!(
            chain(&e),
            "obtaining the SSA of recipient A: connection refused"
        );
    }

    #[test]
    fn a_real_josekit_error_is_not_repeated() {
        let Err(e) =
            dcr_vectors::SigningKey::from_private_jwk(r#"{"kid":"x","alg":"ES256"}"#, None, None)
        else {
            panic!("a JWK without kty loaded");
        };
        let text = chain(&e);
        assert_eq!(text.matches("kty").count(), 1, "{text}");
    }
}
