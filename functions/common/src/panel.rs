//! The control panel as a Lambda function: the panel's ports (`PanelFunction`), a Cognito user pool for sign-in
//! (`PANEL_USER_POOL_CLIENT_ID`), and the key session cookies are signed with (`PANEL_SESSION_KEY_SEALED`,
//! sealed with the stack's KMS key under the context `panel-session`; at least 32 bytes). An API Gateway v2
//! request becomes the router's request (body decoded, the client's address from the request context) and its
//! answer the function's response.

use super::PanelFunction;
use lambda_http::{Body, Request, RequestExt, Response};
use mailferry::aws::CognitoSignIn;
use mailferry::panel::Panel;
use mailferry::panel::limiter::LoginLimiter;
use mailferry::panel::session::SessionKey;
use mailferry::ports::Sealed;
use std::net::IpAddr;
use std::sync::Arc;

/// The panel from the process environment (once per cold start).
pub async fn panel_from_env() -> Result<Panel, String> {
    let config = mailferry::aws::load_config().await;
    panel_from_vars(&config, &|name| std::env::var(name).ok()).await
}

/// The panel from `vars` with SDK clients from `config` (tests pass a map).
pub async fn panel_from_vars(config: &aws_config::SdkConfig, vars: super::Vars<'_>) -> Result<Panel, String> {
    let function = PanelFunction::from_vars(config, vars).await?;
    let var = |name: &str| {
        vars(name).filter(|v| !v.is_empty()).ok_or_else(|| format!("environment variable {name} is not set"))
    };
    let key = function
        .deps
        .secrets
        .open(&Sealed(var("PANEL_SESSION_KEY_SEALED")?), "panel-session")
        .await
        .map_err(|e| format!("PANEL_SESSION_KEY_SEALED: {e}"))?;
    if key.expose().len() < 32 {
        return Err("PANEL_SESSION_KEY_SEALED: the key must have at least 32 characters".into());
    }
    let cognito = aws_sdk_cognitoidentityprovider::Client::new(config);
    Ok(Panel {
        deps: function.deps,
        sign_in: Arc::new(CognitoSignIn::new(cognito, var("PANEL_USER_POOL_CLIENT_ID")?)),
        key: SessionKey::new(key.expose().as_bytes()),
        limiter: Arc::new(LoginLimiter::default()),
        // Served over HTTPS by API Gateway.
        secure_cookies: true,
    })
}

/// One HTTP request through the panel's router.
pub async fn handle_panel(panel: &Panel, req: Request) -> Response<Body> {
    let peer: IpAddr = match req.request_context_ref() {
        Some(lambda_http::request::RequestContext::ApiGatewayV2(ctx)) => {
            ctx.http.source_ip.as_deref().and_then(|ip| ip.parse().ok())
        }
        _ => None,
    }
    .unwrap_or(IpAddr::from([0, 0, 0, 0]));
    let (parts, body) = req.into_parts();
    let bytes = mailferry::panel::Bytes::copy_from_slice(body.as_ref());
    let reply = panel.handle(lambda_http::http::Request::from_parts(parts, bytes), peer).await;
    let (parts, text) = reply.into_parts();
    Response::from_parts(parts, Body::Text(text))
}
