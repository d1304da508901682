//! Signing in to the panel on AWS against Cognito (moto's cognito-idp): the right password gives the user's
//! email and the tenants of its `custom:tenants` attribute; a wrong password, an unknown user and a user who
//! still has a temporary password are not signed in, and never an error.

use mailferry::aws::CognitoSignIn;
use mailferry::model::{Secret, TenantId};
use mailferry::ports::SignIn;
use mailferry_tests::moto;
use mailferry_tests::panel_rig::cognito_pool;

#[tokio::test]
async fn cognito_users_sign_in_with_their_tenants() {
    let config = moto::sdk_config().await;
    let users = [("ops@acme.test", "acme,globex", true), ("new@acme.test", "acme", false)];
    let (_, client_id) = cognito_pool(&config, &users).await;
    let sign_in = CognitoSignIn::new(aws_sdk_cognitoidentityprovider::Client::new(&config), client_id);
    let who =
        sign_in.sign_in("ops@acme.test", &Secret::new("Right-password-1".into())).await.unwrap().expect("signed in");
    assert_eq!(who.email, "ops@acme.test");
    assert_eq!(who.tenants, [TenantId::new("acme").unwrap(), TenantId::new("globex").unwrap()]);
    assert_eq!(sign_in.sign_in("ops@acme.test", &Secret::new("wrong".into())).await.unwrap(), None);
    assert_eq!(sign_in.sign_in("nobody@acme.test", &Secret::new("Right-password-1".into())).await.unwrap(), None);
    let challenged = sign_in.sign_in("new@acme.test", &Secret::new("Temporary-pw-1".into())).await.unwrap();
    assert_eq!(challenged, None, "a temporary password must be changed first");
}
