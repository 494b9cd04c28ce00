//! References in code joined to the secrets a store holds: `{{resolve:secretsmanager:NAME}}`,
//! a secret's ARN or an SSM parameter name found in a file, and the secret or parameter the
//! AWS collector listed under that name. Joined, each names the other in `related` and the
//! stored secret lists where it is referenced from; a reference to a store that was listed
//! but holds no such name is marked `missing` (the deploy will fail, or it reads another
//! account or region).

use crate::model::{Identity, attr};
use std::collections::{BTreeSet, HashMap, HashSet};

/// Places listed per stored secret at most.
const MAX_PLACES: usize = 10;

pub fn join(identities: &mut [Identity]) -> usize {
    let mut stored: HashMap<(String, String), usize> = HashMap::new();
    let mut listed: HashSet<String> = HashSet::new();
    for (slot, i) in identities.iter().enumerate() {
        if !i.is_collected() {
            continue;
        }
        if let (Some(store), Some(name)) = (
            i.attributes.get(attr::STORE),
            i.attributes.get(attr::SECRET_NAME),
        ) {
            listed.insert(store.clone());
            stored.insert((store.clone(), name.clone()), slot);
        }
    }
    if listed.is_empty() {
        return 0;
    }
    let mut joins: Vec<(usize, usize, String)> = Vec::new();
    let mut missing: Vec<usize> = Vec::new();
    for (slot, i) in identities.iter().enumerate() {
        if i.is_collected() {
            continue;
        }
        for e in &i.exposures {
            let Some(r) = &e.reference else { continue };
            if !listed.contains(&r.store) {
                continue;
            }
            match candidates(&r.name)
                .into_iter()
                .find_map(|name| stored.get(&(r.store.clone(), name)))
            {
                Some(&target) => joins.push((slot, target, e.path.clone())),
                None => missing.push(slot),
            }
        }
    }
    let mut places: HashMap<usize, BTreeSet<String>> = HashMap::new();
    for &(reference, target, ref path) in &joins {
        let (ref_id, target_id) = (
            identities[reference].id.clone(),
            identities[target].id.clone(),
        );
        if !identities[reference].related.contains(&target_id) {
            identities[reference].related.push(target_id);
        }
        if !identities[target].related.contains(&ref_id) {
            identities[target].related.push(ref_id);
        }
        identities[reference]
            .attributes
            .insert(attr::STORE_MATCH.into(), "found".into());
        places.entry(target).or_default().insert(path.clone());
    }
    for (target, paths) in places {
        let list: Vec<String> = paths.into_iter().take(MAX_PLACES).collect();
        identities[target]
            .attributes
            .insert(attr::REFERENCED_FROM.into(), list.join(", "));
    }
    for slot in missing {
        identities[slot]
            .attributes
            .entry(attr::STORE_MATCH.into())
            .or_insert_with(|| "missing".into());
    }
    joins.len()
}

/// The names a reference may mean: as written; without a dynamic reference's version or
/// JSON key (`prod/db:SecretString:password`, `/prod/api/password:3`); without the six
/// characters Secrets Manager appends to a secret's ARN (`prod/payments/api-AbCdEf`).
fn candidates(name: &str) -> Vec<String> {
    let mut out = vec![name.to_string()];
    if let Some((head, _)) = name.split_once(':') {
        out.push(head.to_string());
    }
    for n in out.clone() {
        if let Some((head, suffix)) = n.rsplit_once('-')
            && suffix.len() == 6
            && suffix.bytes().all(|b| b.is_ascii_alphanumeric())
        {
            out.push(head.to_string());
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Exposure, Origin, Provider, SecretReference};

    fn stored(store: &str, name: &str) -> Identity {
        let mut i = Identity::new(
            format!("arn:{name}"),
            Provider::named("aws"),
            "stored-secret",
            name,
            "x",
        );
        i.attributes.insert(attr::STORE.into(), store.into());
        i.attributes.insert(attr::SECRET_NAME.into(), name.into());
        i
    }

    fn reference(store: &str, name: &str, path: &str) -> Identity {
        let mut i = Identity::found(
            format!("reference:{store}:{name}"),
            Provider::FILE,
            "reference",
            name,
            path,
        );
        let mut e = Exposure::new(Origin::file(path), path, "reference.x");
        e.reference = Some(SecretReference {
            store: store.into(),
            name: name.into(),
        });
        i.exposures.push(e);
        i
    }

    #[test]
    fn references_join_their_stored_secret_by_name_arn_suffix_or_version() {
        let mut all = vec![
            stored("aws-secrets-manager", "prod/payments/api"),
            stored("aws-ssm", "/prod/api/password"),
            reference(
                "aws-secrets-manager",
                "prod/payments/api-AbCdEf",
                "infra/app.tf",
            ),
            reference("aws-ssm", "/prod/api/password:3", "stack.yaml"),
            reference("aws-secrets-manager", "prod/gone", "stack.yaml"),
            reference("vault", "secret/x", "vault.hcl"),
        ];
        assert_eq!(join(&mut all), 2);
        assert_eq!(
            all[0].related,
            ["reference:aws-secrets-manager:prod/payments/api-AbCdEf"]
        );
        assert_eq!(all[0].attributes[attr::REFERENCED_FROM], "infra/app.tf");
        assert_eq!(all[3].attributes[attr::STORE_MATCH], "found");
        assert_eq!(all[4].attributes[attr::STORE_MATCH], "missing");
        // A store nobody listed says nothing about its references.
        assert!(!all[5].attributes.contains_key(attr::STORE_MATCH));
    }
}
