//! `mailferry seal --kms-key KEY [--context destination]`: seal a secret read from standard input with the
//! deployment's KMS key, for settings that must not rest in clear (the destination master password in
//! `DEST_MASTER_PASSWORD_SEALED`). Uses the operator's AWS credentials; prints the sealed text only.

use mailferry::aws::{KmsSecretBox, load_config};
use mailferry::model::Secret;
use mailferry::ports::SecretBox;
use std::io::Read;
use std::process::ExitCode;

#[derive(clap::Args)]
pub struct Args {
    /// The KMS key (id, ARN or alias) of the deployment (the stack output CredentialsKeyArn).
    #[arg(long)]
    kms_key: String,
    /// What the sealed value is bound to; the functions open the destination password with `destination`.
    #[arg(long, default_value = "destination")]
    context: String,
}

pub async fn run(args: &Args) -> ExitCode {
    let mut text = String::new();
    if let Err(e) = std::io::stdin().read_to_string(&mut text) {
        eprintln!("mailferry seal: cannot read the secret from standard input: {e}");
        return ExitCode::from(2);
    }
    let secret = Secret::new(text.trim_end_matches(['\r', '\n']).to_string());
    let config = load_config().await;
    let sealer = KmsSecretBox::new(aws_sdk_kms::Client::new(&config), &args.kms_key);
    match sealer.seal(&secret, &args.context).await {
        Ok(sealed) => {
            println!("{}", sealed.0);
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("mailferry seal: {e}");
            ExitCode::from(1)
        }
    }
}
