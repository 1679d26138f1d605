use anyhow::{Context, bail};
use cucumber::{then, when};

use crate::http::Request;
use crate::scenario::needs::step;
use crate::scenario::params::Recipient;
use crate::scenario::world::DcrWorld;

step! {
    needs [];
    #[when("the discovery document is fetched")]
    async fn fetch(w: &mut DcrWorld) -> anyhow::Result<()> {
        let url = w.env().discovery_url.clone();
        w.send(Recipient::A, Request::new(reqwest::Method::GET, url)).await?;
        Ok(())
    }
}

step! {
    needs [];
    #[then(expr = "the discovery document has {string} as an absolute https URL")]
    async fn absolute_https(w: &mut DcrWorld, member: String) -> anyhow::Result<()> {
        let value = w.discovered(&member).await?;
        let url = url::Url::parse(&value)
            .with_context(|| format!("{member} = {value:?} is not an absolute URL"))?;
        if url.scheme() != "https" {
            bail!("{member} must use https, got {value:?}");
        }
        Ok(())
    }
}

step! {
    needs [];
    #[then(expr = "the discovery {string} lists {string}")]
    async fn lists(w: &mut DcrWorld, member: String, value: String) -> anyhow::Result<()> {
        let doc = w.discovery().await?;
        let values = doc
            .get(&member)
            .and_then(|v| v.as_array())
            .with_context(|| format!("{member} is not an array"))?;
        if !values.iter().any(|v| v.as_str() == Some(value.as_str())) {
            bail!(
                "expected {member} to list {value:?}, got {}",
                serde_json::Value::Array(values.clone())
            );
        }
        Ok(())
    }
}

step! {
    needs [];
    #[then(expr = "the discovery {string} lists only values from {string}")]
    async fn only_from(w: &mut DcrWorld, member: String, allowed: String) -> anyhow::Result<()> {
        let allowed: Vec<&str> = allowed.split(',').map(str::trim).collect();
        let doc = w.discovery().await?;
        let values = doc
            .get(&member)
            .and_then(|v| v.as_array())
            .with_context(|| format!("{member} is missing or not an array"))?;
        if values.is_empty() {
            bail!("{member} is empty");
        }
        if let Some(bad) = values
            .iter()
            .find(|v| !v.as_str().is_some_and(|s| allowed.contains(&s)))
        {
            bail!("expected {member} to hold only {allowed:?}, but it lists {bad}");
        }
        Ok(())
    }
}

step! {
    needs [];
    #[then(expr = "the discovery {string} is true")]
    async fn is_true(w: &mut DcrWorld, member: String) -> anyhow::Result<()> {
        let doc = w.discovery().await?;
        match doc.get(&member) {
            Some(serde_json::Value::Bool(true)) => Ok(()),
            other => bail!("expected {member} = true, got {other:?}"),
        }
    }
}

/// The array member `member` of the discovery document, or a message saying what it is instead.
async fn array_member(
    w: &mut DcrWorld,
    member: &str,
) -> anyhow::Result<Option<Vec<serde_json::Value>>> {
    let doc = w.discovery().await?;
    match doc.get(member) {
        None => Ok(None),
        Some(serde_json::Value::Array(values)) => Ok(Some(values.clone())),
        Some(other) => bail!("{member} is not an array: {other}"),
    }
}

step! {
    needs [];
    /// At least one of the comma-separated values is listed (a holder may offer either).
    #[then(expr = "the discovery {string} lists at least one of {string}")]
    async fn lists_one_of(w: &mut DcrWorld, member: String, wanted: String) -> anyhow::Result<()> {
        let wanted: Vec<&str> = wanted.split(',').map(str::trim).collect();
        let values = array_member(w, &member)
            .await?
            .with_context(|| format!("{member} is missing; expected it to list one of {wanted:?}"))?;
        if !values
            .iter()
            .any(|v| v.as_str().is_some_and(|s| wanted.contains(&s)))
        {
            bail!(
                "expected {member} to list one of {wanted:?}, got {}",
                serde_json::Value::Array(values)
            );
        }
        Ok(())
    }
}

step! {
    needs [];
    /// The member may be left out; when it is there it lists the value.
    #[then(expr = "the discovery {string}, if present, lists {string}")]
    async fn if_present_lists(
        w: &mut DcrWorld,
        member: String,
        value: String,
    ) -> anyhow::Result<()> {
        let Some(values) = array_member(w, &member).await? else {
            return Ok(());
        };
        if !values.iter().any(|v| v.as_str() == Some(value.as_str())) {
            bail!(
                "expected {member}, when present, to list {value:?}, got {}",
                serde_json::Value::Array(values)
            );
        }
        Ok(())
    }
}

step! {
    needs [];
    #[then(expr = "the discovery document has a non-empty list {string}")]
    async fn has_list(w: &mut DcrWorld, member: String) -> anyhow::Result<()> {
        let values = array_member(w, &member)
            .await?
            .with_context(|| format!("{member} is missing; expected a non-empty array"))?;
        if values.is_empty() {
            bail!("{member} is an empty array; expected at least one value");
        }
        Ok(())
    }
}
