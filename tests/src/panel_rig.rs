//! What the panel's tests share: a panel on the embedded home with operator accounts (password "a good
//! password"), `mailferry serve` started on a free port, and a Cognito user pool on moto with operators in it.

use mailferry::crypto::hash_password;
use mailferry::embedded::{Database, SqliteOperators};
use mailferry::model::{Secret, TenantId};
use mailferry::panel::Panel;
use mailferry::panel::limiter::LoginLimiter;
use mailferry::panel::session::SessionKey;
use mailferry::ports::{Operator, Operators};
use std::io::BufRead;
use std::path::Path;
use std::sync::Arc;

/// The password of every operator [`embedded_panel`] makes.
pub const PASSWORD: &str = "a good password";

/// A panel over `deps` (the embedded home in `dir`) whose operators are `(email, tenant)`.
pub async fn embedded_panel(dir: &Path, deps: mailferry::stages::Deps, operators: &[(&str, &str)]) -> Panel {
    let accounts = SqliteOperators::new(Database::open(&dir.join("state.sqlite")).unwrap());
    for (email, tenant) in operators {
        let hash = hash_password(&Secret::new(PASSWORD.into())).unwrap();
        let op =
            Operator { email: email.to_string(), tenants: vec![TenantId::new(*tenant).unwrap()], password_hash: hash };
        accounts.put_operator(&op).await.unwrap();
    }
    Panel {
        deps: mailferry::stages::PanelDeps::from_deps(&deps),
        sign_in: Arc::new(accounts),
        key: SessionKey::new(&[7; 32]),
        limiter: Arc::new(LoginLimiter::default()),
        secure_cookies: false,
    }
}

/// `mailferry serve --listen 127.0.0.1:0 ARGS --state STATE` (destination password in the environment), and
/// the URL it prints once listening (`http://127.0.0.1:PORT`).
pub fn spawn_serve(state: &Path, args: &[&str]) -> (std::process::Child, String) {
    let mut serve = std::process::Command::new(crate::mailferry_bin())
        .args(["serve", "--listen", "127.0.0.1:0"])
        .args(args)
        .arg("--state")
        .arg(state)
        .env("MAILFERRY_DEST_MASTER_PASSWORD", "masterpass")
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("start mailferry serve");
    let mut line = String::new();
    std::io::BufReader::new(serve.stdout.take().expect("stdout")).read_line(&mut line).expect("its first line");
    let url =
        line.split_whitespace().find(|w| w.starts_with("http://")).unwrap_or_else(|| panic!("no URL in {line:?}"));
    (serve, url.trim_end_matches('/').to_string())
}

/// A Cognito user pool on moto with a `tenants` attribute and an app client for USER_PASSWORD_AUTH, holding
/// `(email, tenants, permanent password?)` users: a permanent one signs in with "Right-password-1", the others
/// still have the temporary "Temporary-pw-1". Returns the pool's and the app client's ids.
pub async fn cognito_pool(config: &aws_config::SdkConfig, users: &[(&str, &str, bool)]) -> (String, String) {
    use aws_sdk_cognitoidentityprovider::types::{
        AttributeDataType, AttributeType, ExplicitAuthFlowsType, SchemaAttributeType,
    };
    let client = aws_sdk_cognitoidentityprovider::Client::new(config);
    let schema = SchemaAttributeType::builder()
        .name("tenants")
        .attribute_data_type(AttributeDataType::String)
        .mutable(true)
        .build();
    let pool =
        client.create_user_pool().pool_name(crate::moto::unique("operators")).schema(schema).send().await.unwrap();
    let pool_id = pool.user_pool().and_then(|p| p.id()).unwrap().to_string();
    let app = client
        .create_user_pool_client()
        .user_pool_id(&pool_id)
        .client_name("panel")
        .explicit_auth_flows(ExplicitAuthFlowsType::AllowUserPasswordAuth)
        .send()
        .await
        .unwrap();
    let attr = |n: &str, v: &str| AttributeType::builder().name(n).value(v).build().unwrap();
    for (email, tenants, permanent) in users {
        client
            .admin_create_user()
            .user_pool_id(&pool_id)
            .username(*email)
            .user_attributes(attr("email", email))
            .user_attributes(attr("custom:tenants", tenants))
            .temporary_password("Temporary-pw-1")
            .send()
            .await
            .unwrap();
        if *permanent {
            let set = client.admin_set_user_password().user_pool_id(&pool_id).username(*email);
            set.password("Right-password-1").permanent(true).send().await.unwrap();
        }
    }
    (pool_id, app.user_pool_client().and_then(|c| c.client_id()).unwrap().to_string())
}

/// The panel as the Lambda function builds it (`panel_from_vars`) over the moto `stack`, its session key sealed
/// with the stack's KMS key and its operators in a new Cognito pool of `users` (see [`cognito_pool`]).
pub async fn lambda_panel(stack: &crate::aws_stack::Stack, users: &[(&str, &str, bool)]) -> Panel {
    use mailferry::ports::SecretBox;
    let (_, client_id) = cognito_pool(&stack.config, users).await;
    let kms =
        mailferry::aws::KmsSecretBox::new(aws_sdk_kms::Client::new(&stack.config), stack.vars["KMS_KEY_ID"].clone());
    let key = kms.seal(&Secret::new("k".repeat(48)), "panel-session").await.unwrap();
    let mut vars = stack.vars.clone();
    vars.insert("PANEL_USER_POOL_CLIENT_ID", client_id);
    vars.insert("PANEL_SESSION_KEY_SEALED", key.0);
    let vars = crate::aws_stack::for_function(&vars, "PanelFunction");
    mailferry_lambda::panel_from_vars(&stack.config, &vars).await.unwrap()
}

/// Run the browser flow `script` (`infra/browser/…`) with `config` (written to a file in `dir`), and return
/// its report after checking it passed every step with no serious accessibility violation.
pub fn run_flow(script: &str, config: &serde_json::Value, dir: &Path) -> serde_json::Value {
    let root = crate::workspace_root();
    let config_path = dir.join(format!("{script}.json"));
    std::fs::write(&config_path, config.to_string()).unwrap();
    let run = std::process::Command::new("node")
        .arg(root.join("infra/browser").join(script))
        .arg(&config_path)
        .current_dir(root.join("infra/browser"))
        .output()
        .expect("node (infra/install.sh installs playwright-core, axe-core and chromium)");
    let said = String::from_utf8_lossy(&run.stdout).to_string();
    let report: serde_json::Value = serde_json::from_str(said.lines().last().unwrap_or("")).unwrap_or_else(|e| {
        panic!("{script} printed no report ({e}):\n{said}\n{}", String::from_utf8_lossy(&run.stderr))
    });
    assert!(run.status.success(), "the browser flow {script} failed: {report:#}");
    assert_eq!(report["violations"], serde_json::json!([]), "serious accessibility violations");
    report
}
