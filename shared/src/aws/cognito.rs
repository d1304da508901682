//! Signing in to the control panel on AWS with a Cognito user pool: the password goes to Cognito
//! (`InitiateAuth`, `USER_PASSWORD_AUTH`, through the pool's app client), and the user's attributes are read
//! back with the access token it returned (`GetUser`), so Cognito itself vouches for them: `email` and
//! `custom:tenants` (comma-separated tenant ids). A wrong password, an unknown user, or a user who must first
//! answer a challenge (a temporary password) is "not signed in"; the tokens go no further than this call.

use super::error::sdk_error;
use crate::model::{Secret, TenantId};
use crate::ports::{Identity, PortError, SignIn};
use async_trait::async_trait;
use aws_sdk_cognitoidentityprovider::Client;
use aws_sdk_cognitoidentityprovider::types::AuthFlowType;

/// [`SignIn`] against a Cognito user pool's app client.
#[derive(Clone, Debug)]
pub struct CognitoSignIn {
    client: Client,
    client_id: String,
}

impl CognitoSignIn {
    pub fn new(client: Client, client_id: impl Into<String>) -> Self {
        CognitoSignIn { client, client_id: client_id.into() }
    }
}

#[async_trait]
impl SignIn for CognitoSignIn {
    async fn sign_in(&self, email: &str, password: &Secret<String>) -> Result<Option<Identity>, PortError> {
        let auth = self
            .client
            .initiate_auth()
            .auth_flow(AuthFlowType::UserPasswordAuth)
            .client_id(&self.client_id)
            .auth_parameters("USERNAME", email)
            .auth_parameters("PASSWORD", password.expose())
            .send()
            .await;
        let out = match auth {
            Ok(o) => o,
            Err(e)
                if e.as_service_error()
                    .is_some_and(|s| s.is_not_authorized_exception() || s.is_user_not_found_exception()) =>
            {
                return Ok(None);
            }
            Err(e) => return Err(sdk_error("sign in", e)),
        };
        let Some(token) = out.authentication_result().and_then(|r| r.access_token()) else {
            tracing::info!(challenge = ?out.challenge_name(), "cognito asks a challenge first: not signed in");
            return Ok(None);
        };
        let user = self.client.get_user().access_token(token).send().await.map_err(|e| sdk_error("read user", e))?;
        let attribute = |name: &str| {
            user.user_attributes().iter().find(|a| a.name() == name).and_then(|a| a.value()).map(str::to_string)
        };
        let email = attribute("email").unwrap_or_else(|| email.to_string()).to_ascii_lowercase();
        let tenants = attribute("custom:tenants")
            .unwrap_or_default()
            .split(',')
            .filter_map(|t| TenantId::new(t.trim().to_string()).ok())
            .collect();
        Ok(Some(Identity { email, tenants }))
    }
}
