//! A version of a regulation as the case engine runs it in one channel:
//! the steps with their role for that channel, whether an incomplete package
//! is refused at intake, the required documents and the refusal grounds.

use super::{GroundStage, Version};
use crate::case::{Process, StepDef};
use crate::Channel;

impl Version {
    /// The engine's process for `channel`, or `None` when this version does
    /// not accept applications through it.
    pub fn process(&self, channel: Channel) -> Option<Process> {
        self.channel(channel)?;
        Some(Process {
            service: self.service.clone(),
            version: self.code.clone(),
            channel,
            steps: self
                .steps
                .iter()
                .map(|s| StepDef {
                    code: s.code,
                    role: s.role_in(channel),
                    limit: s.limit,
                })
                .collect(),
            refuse_incomplete_at_intake: self.refuses_incomplete_at_intake(channel),
            required_documents: self
                .documents
                .iter()
                .filter(|d| d.required)
                .map(|d| d.code.clone())
                .collect(),
            // A motivated refusal as the result cites the decision grounds;
            // the intake grounds are for refusing to accept at all.
            refusal_grounds: self
                .refusal_grounds
                .iter()
                .filter(|g| g.stage == GroundStage::Decision)
                .map(|g| g.code.clone())
                .collect(),
        })
    }
}

#[cfg(test)]
mod tests {
    use crate::catalog::{load, StepCode};
    use crate::{Channel, Limit, Role};

    fn catalog() -> crate::catalog::Catalog {
        let root = concat!(env!("CARGO_MANIFEST_DIR"), "/../../catalog");
        let mut files = Vec::new();
        fn walk(root: &std::path::Path, dir: &std::path::Path, out: &mut Vec<(String, String)>) {
            for e in std::fs::read_dir(dir).unwrap() {
                let p = e.unwrap().path();
                if p.is_dir() {
                    walk(root, &p, out);
                } else {
                    let rel = p.strip_prefix(root).unwrap().to_string_lossy().into_owned();
                    out.push((rel, std::fs::read_to_string(&p).unwrap()));
                }
            }
        }
        walk(
            std::path::Path::new(root),
            std::path::Path::new(root),
            &mut files,
        );
        load(&files).unwrap()
    }

    #[test]
    fn processes_follow_the_catalog_per_channel() {
        let c = catalog();
        let a = c.version("meeting-permission", "2018-20-02").unwrap();
        let sc = a.process(Channel::StateCorporation).unwrap();
        assert!(sc.refuse_incomplete_at_intake);
        assert_eq!(sc.role_of(StepCode::Issue), Some(Role::Operator));
        assert_eq!(sc.steps[2].limit, Limit::WorkingDays(2));
        let office = a.process(Channel::Office).unwrap();
        assert_eq!(office.role_of(StepCode::Issue), Some(Role::Clerk));
        assert!(a.process(Channel::Portal).is_none());
        assert!(sc.check().is_ok());

        let c_pay = c.version("adoption-payment", "2016-64-04").unwrap();
        let portal = c_pay.process(Channel::Portal).unwrap();
        assert!(!portal.refuse_incomplete_at_intake);
        assert_eq!(portal.steps[2].limit, Limit::WorkingDays(5));
        assert!(!portal.refusal_grounds.is_empty());
        assert!(!portal.required_documents.is_empty());
    }
}
