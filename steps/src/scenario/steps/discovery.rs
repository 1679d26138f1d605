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
