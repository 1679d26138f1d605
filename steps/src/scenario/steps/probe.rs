//! Generic probes: requests whose header or body the scenario spells out, for the suite's own
//! tests (the redaction test seeds canary secrets through them) and for quick experiments.
//!
//! Values may name environment variables as `${NAME}`; they are expanded when the request is
//! sent, so that a secret never has to be written into a feature file (where every report
//! would quote it as step text).

use anyhow::{Context, bail};
use cucumber::gherkin::Step;
use cucumber::when;

use crate::http::Request;
use crate::scenario::needs::step;
use crate::scenario::params::Recipient;
use crate::scenario::world::DcrWorld;

/// `text` with every `${NAME}` replaced by the environment variable `NAME`.
fn expand(text: &str) -> anyhow::Result<String> {
    let mut out = String::new();
    let mut rest = text;
    while let Some(start) = rest.find("${") {
        out.push_str(&rest[..start]);
        let Some(len) = rest[start + 2..].find('}') else {
            bail!("unterminated ${{ in {text:?}");
        };
        let name = &rest[start + 2..start + 2 + len];
        out.push_str(
            &std::env::var(name)
                .with_context(|| format!("environment variable {name} is not set"))?,
        );
        rest = &rest[start + 3 + len..];
    }
    out.push_str(rest);
    Ok(out)
}

step! {
    needs [];
    #[when(
        expr = "a request with header {string} set to {string} is sent to the registration endpoint"
    )]
    async fn with_header(w: &mut DcrWorld, name: String, value: String) -> anyhow::Result<()> {
        let endpoint = w.registration_endpoint().await?;
        let request = w
            .registration_call(reqwest::Method::POST, endpoint)
            .replace_header(&name, expand(&value)?);
        w.send(Recipient::A, request).await?;
        Ok(())
    }
}

step! {
    needs [];
    #[when(expr = "the form {string} is posted to the token endpoint")]
    async fn form_to_token(w: &mut DcrWorld, form: String) -> anyhow::Result<()> {
        let endpoint = w.discovered("token_endpoint").await?;
        let request = Request::new(reqwest::Method::POST, endpoint)
            .header("Content-Type", "application/x-www-form-urlencoded")
            .body(expand(&form)?);
        w.send(Recipient::A, request).await?;
        Ok(())
    }
}

step! {
    needs [];
    #[when("this JSON is posted to the registration endpoint:")]
    async fn json_to_registration(w: &mut DcrWorld, #[step] step: &Step) -> anyhow::Result<()> {
        let body = step
            .docstring
            .as_deref()
            .context("the step needs a docstring with the JSON body")?;
        let endpoint = w.registration_endpoint().await?;
        let request = w
            .registration_call(reqwest::Method::POST, endpoint)
            .replace_header("Content-Type", "application/json")
            .body(expand(body.trim())?);
        w.send(Recipient::A, request).await?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::expand;

    #[test]
    fn environment_variables_are_expanded() {
        // PATH is set in every test environment.
        let path = std::env::var("PATH").expect("PATH");
        assert_eq!(
            expand("a ${PATH} b").expect("expand"),
            format!("a {path} b")
        );
        assert_eq!(expand("plain").expect("expand"), "plain");
        assert!(expand("${DCR_SURELY_UNSET_VARIABLE}").is_err());
        assert!(expand("${OPEN").is_err());
    }
}
