//! `qyzmet iin check`.

use crate::cli::IinCommand;
use crate::Failure;
use qyzmet_domain::Iin;

pub fn run(cmd: IinCommand) -> Result<(), Failure> {
    match cmd {
        IinCommand::Check { iin } => check(&iin),
    }
}

fn check(input: &str) -> Result<(), Failure> {
    match Iin::parse(input) {
        Ok(iin) => {
            let born = iin.birth_date().expect("a checked IIN has a birth date");
            let sex = iin.sex().expect("a checked IIN has a sex digit");
            println!("valid {} {}", born.format("%Y-%m-%d"), sex.code());
            Ok(())
        }
        Err(e) if e.is_shape() => Err(Failure::usage(format!("error: {e}"))),
        Err(e) => {
            println!("invalid: {e}");
            Err(Failure::found(""))
        }
    }
}
