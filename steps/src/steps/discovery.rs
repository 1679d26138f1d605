use anyhow::{Context, bail};
use cucumber::{then, when};

use crate::http::Request;
use crate::world::DcrWorld;

#[when("the discovery document is fetched")]
async fn fetch(w: &mut DcrWorld) -> anyhow::Result<()> {
    let url = w.env().discovery_url.clone();
    w.send("A", Request::new(reqwest::Method::GET, url)).await?;
    Ok(())
}

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
