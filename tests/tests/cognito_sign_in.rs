//! Signing in to the panel on AWS against Cognito (moto's cognito-idp): the right password gives the user's
//! email and the tenants of its `custom:tenants` attribute; a wrong password, an unknown user and a user who
//! still has a temporary password are not signed in, and never an error.

use aws_sdk_cognitoidentityprovider::Client;
use aws_sdk_cognitoidentityprovider::types::{AttributeType, ExplicitAuthFlowsType, SchemaAttributeType};
use mailferry::aws::CognitoSignIn;
use mailferry::model::{Secret, TenantId};
use mailferry::ports::SignIn;
use mailferry_tests::moto;

fn attr(name: &str, value: &str) -> AttributeType {
    AttributeType::builder().name(name).value(value).build().unwrap()
}

#[tokio::test]
async fn cognito_users_sign_in_with_their_tenants() {
    let client = Client::new(&moto::sdk_config().await);
    let tenants = SchemaAttributeType::builder()
        .name("tenants")
        .attribute_data_type(aws_sdk_cognitoidentityprovider::types::AttributeDataType::String)
        .mutable(true)
        .build();
    let pool = client.create_user_pool().pool_name(moto::unique("operators")).schema(tenants).send().await.unwrap();
    let pool_id = pool.user_pool().and_then(|p| p.id()).unwrap().to_string();
    let app = client
        .create_user_pool_client()
        .user_pool_id(&pool_id)
        .client_name("panel")
        .explicit_auth_flows(ExplicitAuthFlowsType::AllowUserPasswordAuth)
        .send()
        .await
        .unwrap();
    let client_id = app.user_pool_client().and_then(|c| c.client_id()).unwrap().to_string();
    for (user, tenants, permanent) in [("ops@acme.test", "acme,globex", true), ("new@acme.test", "acme", false)] {
        client
            .admin_create_user()
            .user_pool_id(&pool_id)
            .username(user)
            .user_attributes(attr("email", user))
            .user_attributes(attr("custom:tenants", tenants))
            .temporary_password("Temporary-pw-1")
            .send()
            .await
            .unwrap();
        if permanent {
            let set = client.admin_set_user_password().user_pool_id(&pool_id).username(user);
            set.password("Right-password-1").permanent(true).send().await.unwrap();
        }
    }
    let sign_in = CognitoSignIn::new(client, client_id);
    let who =
        sign_in.sign_in("ops@acme.test", &Secret::new("Right-password-1".into())).await.unwrap().expect("signed in");
    assert_eq!(who.email, "ops@acme.test");
    assert_eq!(who.tenants, [TenantId::new("acme").unwrap(), TenantId::new("globex").unwrap()]);
    assert_eq!(sign_in.sign_in("ops@acme.test", &Secret::new("wrong".into())).await.unwrap(), None);
    assert_eq!(sign_in.sign_in("nobody@acme.test", &Secret::new("Right-password-1".into())).await.unwrap(), None);
    let challenged = sign_in.sign_in("new@acme.test", &Secret::new("Temporary-pw-1".into())).await.unwrap();
    assert_eq!(challenged, None, "a temporary password must be changed first");
}
