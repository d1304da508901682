//! An HTTP API in front of the panel function, as API Gateway (HTTP API, payload 2.0) is on AWS: a browser's
//! request becomes the event API Gateway sends (cookies in their own list, the body base64), decoded by
//! `lambda_http` and handed to the function's own handler (`handle_panel`) in this process; its response goes
//! back to the browser. So a real browser drives the Lambda flavour over the moto stack.

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use mailferry::panel::Panel;
use std::sync::Arc;

/// The API Gateway v2 event for one request (`query` without `?`; `cookies` as the browser sent them).
pub fn event(
    method: &str,
    path: &str,
    query: &str,
    headers: &[(String, String)],
    cookies: &[String],
    body: &[u8],
) -> lambda_http::Request {
    use base64::Engine;
    let host = "panel.execute-api.us-east-1.amazonaws.com";
    let mut h = serde_json::Map::new();
    h.insert("host".into(), host.into());
    for (name, value) in headers {
        h.insert(name.to_ascii_lowercase(), value.clone().into());
    }
    let json = serde_json::json!({
        "version": "2.0", "routeKey": "$default", "rawPath": path, "rawQueryString": query,
        "cookies": cookies, "headers": h,
        "requestContext": {
            "accountId": "123456789012", "apiId": "panel", "domainName": host, "domainPrefix": "panel",
            "requestId": "r1", "routeKey": "$default", "stage": "$default",
            "time": "01/Dec/2026:00:00:00 +0000", "timeEpoch": 1796083200000u64,
            "http": {"method": method, "path": path, "protocol": "HTTP/1.1", "sourceIp": "192.0.2.10", "userAgent": "test"}
        },
        "body": base64::engine::general_purpose::STANDARD.encode(body), "isBase64Encoded": true
    });
    lambda_http::request::from_str(&json.to_string()).expect("an API Gateway v2 event")
}

/// Serve `panel` through its Lambda handler on a free loopback port; the base URL (`http://127.0.0.1:PORT`).
pub async fn serve(panel: Arc<Panel>) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("a free port");
    let url = format!("http://{}", listener.local_addr().expect("an address"));
    tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            let panel = panel.clone();
            tokio::spawn(async move {
                let service = service_fn(move |req| {
                    let panel = panel.clone();
                    async move { Ok::<_, std::convert::Infallible>(answer(&panel, req).await) }
                });
                let _ = http1::Builder::new().serve_connection(TokioIo::new(stream), service).await;
            });
        }
    });
    url
}

async fn answer(panel: &Panel, req: hyper::Request<hyper::body::Incoming>) -> hyper::Response<Full<Bytes>> {
    let (parts, body) = req.into_parts();
    let body = body.collect().await.map(|b| b.to_bytes()).unwrap_or_default();
    let mut headers = Vec::new();
    let mut cookies = Vec::new();
    for (name, value) in &parts.headers {
        let value = value.to_str().unwrap_or("").to_string();
        if name == hyper::header::COOKIE {
            cookies.extend(value.split(';').map(|c| c.trim().to_string()).filter(|c| !c.is_empty()));
        } else if name != hyper::header::HOST {
            headers.push((name.as_str().to_string(), value));
        }
    }
    let query = parts.uri.query().unwrap_or("");
    let req = event(parts.method.as_str(), parts.uri.path(), query, &headers, &cookies, &body);
    let reply = mailferry_lambda::handle_panel(panel, req).await;
    let (parts, body) = reply.into_parts();
    hyper::Response::from_parts(parts, Full::new(Bytes::copy_from_slice(body.as_ref())))
}
