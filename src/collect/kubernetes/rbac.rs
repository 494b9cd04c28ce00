//! RBAC: what each ServiceAccount may do, from the RoleBindings and ClusterRoleBindings
//! that name it.
//!
//! A binding reaches a ServiceAccount by naming it (`kind: ServiceAccount`), by its user
//! name (`system:serviceaccount:<ns>:<name>`), or through the groups every ServiceAccount is
//! in (`system:serviceaccounts`, `system:serviceaccounts:<ns>`). Each rule of the bound role
//! becomes privileges in the names `[policy] broad_privileges` knows (`cluster-admin`,
//! `k8s:*`, `k8s:secrets:read`, `k8s:impersonate`, `k8s:escalate`, `k8s:bind`,
//! `k8s:pods:create`, `k8s:serviceaccounts/token:create`), plus one `k8s:<resource>:<verbs>`
//! line per resource so a reader sees the rest. Pure functions over the listed objects.

use k8s_openapi::api::rbac::v1::{
    ClusterRole, ClusterRoleBinding, PolicyRule, Role, RoleBinding, RoleRef, Subject,
};
use std::collections::{BTreeSet, HashMap};

/// A ServiceAccount, by namespace and name.
pub type AccountKey = (String, String);

/// One binding that reaches a ServiceAccount, and what it grants.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Grant {
    /// `ClusterRoleBinding/ci-admin`, `RoleBinding/payments/reader`.
    pub binding: String,
    /// `ClusterRole/cluster-admin`, `Role/payments/secret-reader`.
    pub role: String,
    /// `cluster-wide` or `namespace <ns>`.
    pub scope: String,
    pub privileges: BTreeSet<String>,
    /// The role is not in the listing (deleted, or the scanner may not list roles).
    pub role_missing: bool,
}

impl Grant {
    /// One line for the `rbac` attribute.
    pub fn describe(&self) -> String {
        let missing = if self.role_missing {
            ", role not found: its rules are unknown"
        } else {
            ""
        };
        format!(
            "{} -> {} ({}{missing})",
            self.binding, self.role, self.scope
        )
    }
}

/// The RBAC objects of one cluster, as listed.
#[derive(Debug, Default)]
pub struct RbacObjects {
    pub role_bindings: Vec<RoleBinding>,
    pub cluster_role_bindings: Vec<ClusterRoleBinding>,
    pub roles: Vec<Role>,
    pub cluster_roles: Vec<ClusterRole>,
}

/// Every grant of every ServiceAccount in `accounts`.
pub fn grants_by_account(
    rbac: &RbacObjects,
    accounts: &[AccountKey],
) -> HashMap<AccountKey, Vec<Grant>> {
    let roles: HashMap<(&str, &str), &[PolicyRule]> = rbac
        .roles
        .iter()
        .filter_map(|r| {
            Some((
                (
                    r.metadata.namespace.as_deref()?,
                    r.metadata.name.as_deref()?,
                ),
                r.rules.as_deref().unwrap_or(&[]),
            ))
        })
        .collect();
    let cluster_roles: HashMap<&str, &[PolicyRule]> = rbac
        .cluster_roles
        .iter()
        .filter_map(|r| {
            Some((
                r.metadata.name.as_deref()?,
                r.rules.as_deref().unwrap_or(&[]),
            ))
        })
        .collect();
    let accounts = AccountIndex::new(accounts);
    let mut out: HashMap<AccountKey, Vec<Grant>> = HashMap::new();
    let mut add = |subjects: &[Subject], binding_ns: Option<&str>, grant: Grant| {
        let mut reached: Vec<&AccountKey> = subjects
            .iter()
            .flat_map(|s| accounts.named_by(s, binding_ns))
            .collect();
        reached.sort();
        reached.dedup();
        for account in reached {
            out.entry(account.clone()).or_default().push(grant.clone());
        }
    };
    for b in &rbac.cluster_role_bindings {
        let name = b.metadata.name.as_deref().unwrap_or("?");
        let grant = resolve(&b.role_ref, None, &roles, &cluster_roles);
        add(
            b.subjects.as_deref().unwrap_or(&[]),
            None,
            Grant {
                binding: format!("ClusterRoleBinding/{name}"),
                scope: "cluster-wide".into(),
                ..grant
            },
        );
    }
    for b in &rbac.role_bindings {
        let ns = b.metadata.namespace.as_deref().unwrap_or("default");
        let name = b.metadata.name.as_deref().unwrap_or("?");
        let mut grant = resolve(&b.role_ref, Some(ns), &roles, &cluster_roles);
        // A ClusterRole bound in a namespace grants its rules there only: `cluster-admin`
        // through a RoleBinding is admin of that namespace, which `k8s:*` already says.
        grant.privileges.remove("cluster-admin");
        add(
            b.subjects.as_deref().unwrap_or(&[]),
            Some(ns),
            Grant {
                binding: format!("RoleBinding/{ns}/{name}"),
                scope: format!("namespace {ns}"),
                ..grant
            },
        );
    }
    out
}

/// The listed ServiceAccounts, indexed so each binding subject is a lookup, not a scan of
/// every account (clusters have thousands of accounts and bindings).
struct AccountIndex<'a> {
    all: &'a [AccountKey],
    by_key: HashMap<(&'a str, &'a str), &'a AccountKey>,
    by_namespace: HashMap<&'a str, Vec<&'a AccountKey>>,
}

impl<'a> AccountIndex<'a> {
    fn new(all: &'a [AccountKey]) -> Self {
        let mut by_namespace: HashMap<&str, Vec<&AccountKey>> = HashMap::new();
        for a in all {
            by_namespace.entry(a.0.as_str()).or_default().push(a);
        }
        AccountIndex {
            all,
            by_key: all
                .iter()
                .map(|a| ((a.0.as_str(), a.1.as_str()), a))
                .collect(),
            by_namespace,
        }
    }

    /// The accounts `subject` (of a binding in `binding_ns`, `None` for cluster bindings)
    /// names: a ServiceAccount, an account's user name, or the account groups.
    fn named_by(&self, subject: &Subject, binding_ns: Option<&str>) -> Vec<&'a AccountKey> {
        let one = |ns: &str, name: &str| self.by_key.get(&(ns, name)).copied();
        match subject.kind.as_str() {
            "ServiceAccount" => subject
                .namespace
                .as_deref()
                .or(binding_ns)
                .and_then(|ns| one(ns, &subject.name))
                .into_iter()
                .collect(),
            "User" => subject
                .name
                .strip_prefix("system:serviceaccount:")
                .and_then(|rest| rest.split_once(':'))
                .and_then(|(ns, name)| one(ns, name))
                .into_iter()
                .collect(),
            "Group" if subject.name == "system:serviceaccounts" => self.all.iter().collect(),
            "Group" => subject
                .name
                .strip_prefix("system:serviceaccounts:")
                .and_then(|ns| self.by_namespace.get(ns))
                .cloned()
                .unwrap_or_default(),
            _ => Vec::new(),
        }
    }
}

fn resolve(
    role_ref: &RoleRef,
    ns: Option<&str>,
    roles: &HashMap<(&str, &str), &[PolicyRule]>,
    cluster_roles: &HashMap<&str, &[PolicyRule]>,
) -> Grant {
    let (label, rules) = if role_ref.kind == "ClusterRole" {
        (
            format!("ClusterRole/{}", role_ref.name),
            cluster_roles.get(role_ref.name.as_str()).copied(),
        )
    } else {
        let ns = ns.unwrap_or("default");
        (
            format!("Role/{ns}/{}", role_ref.name),
            roles.get(&(ns, role_ref.name.as_str())).copied(),
        )
    };
    let mut privileges: BTreeSet<String> = rules
        .unwrap_or(&[])
        .iter()
        .flat_map(rule_privileges)
        .collect();
    if role_ref.kind == "ClusterRole" && role_ref.name == "cluster-admin" {
        privileges.insert("cluster-admin".into());
    }
    Grant {
        binding: String::new(),
        role: label,
        scope: String::new(),
        privileges,
        role_missing: rules.is_none(),
    }
}

/// The privileges one rule grants.
pub fn rule_privileges(rule: &PolicyRule) -> Vec<String> {
    let verbs: &[String] = &rule.verbs;
    let groups: &[String] = rule.api_groups.as_deref().unwrap_or(&[]);
    let resources: &[String] = rule.resources.as_deref().unwrap_or(&[]);
    let named_only = rule.resource_names.as_ref().is_some_and(|n| !n.is_empty());
    let verb = |v: &str| verbs.iter().any(|x| x == v || x == "*");
    let resource = |r: &str| resources.iter().any(|x| x == r || x == "*");
    let group = |g: &str| groups.iter().any(|x| x == g || x == "*");
    let mut out = Vec::new();
    if verbs.iter().any(|v| v == "*") && resources.iter().any(|r| r == "*") {
        out.push("k8s:*".to_string());
    }
    let core = group("");
    // Reading named secrets only is the least-privilege pattern, not a broad grant.
    if core && resource("secrets") && !named_only && (verb("get") || verb("list") || verb("watch"))
    {
        out.push("k8s:secrets:read".into());
    }
    if verb("impersonate") {
        out.push("k8s:impersonate".into());
    }
    let rbac_group = group("rbac.authorization.k8s.io");
    if rbac_group && verb("escalate") && (resource("roles") || resource("clusterroles")) {
        out.push("k8s:escalate".into());
    }
    if rbac_group && verb("bind") && (resource("roles") || resource("clusterroles")) {
        out.push("k8s:bind".into());
    }
    if core && resource("pods") && verb("create") {
        out.push("k8s:pods:create".into());
    }
    if core && resource("pods/exec") && verb("create") {
        out.push("k8s:pods/exec:create".into());
    }
    if core && resource("serviceaccounts/token") && verb("create") {
        out.push("k8s:serviceaccounts/token:create".into());
    }
    let verbs_text = verbs.join(",");
    for r in resources {
        let named = if named_only { "(named)" } else { "" };
        out.push(format!("k8s:{r}{named}:{verbs_text}"));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;

    fn rule(groups: &[&str], resources: &[&str], verbs: &[&str]) -> PolicyRule {
        PolicyRule {
            api_groups: Some(groups.iter().map(|s| s.to_string()).collect()),
            resources: Some(resources.iter().map(|s| s.to_string()).collect()),
            verbs: verbs.iter().map(|s| s.to_string()).collect(),
            ..Default::default()
        }
    }

    fn sa_subject(ns: Option<&str>, name: &str) -> Subject {
        Subject {
            kind: "ServiceAccount".into(),
            name: name.into(),
            namespace: ns.map(str::to_string),
            ..Default::default()
        }
    }

    fn meta(ns: Option<&str>, name: &str) -> ObjectMeta {
        ObjectMeta {
            name: Some(name.into()),
            namespace: ns.map(str::to_string),
            ..Default::default()
        }
    }

    #[test]
    fn broad_rules_get_the_names_the_policy_knows() {
        let p = rule_privileges(&rule(&[""], &["secrets"], &["get", "list"]));
        assert_eq!(p, ["k8s:secrets:read", "k8s:secrets:get,list"]);
        let p = rule_privileges(&rule(&["*"], &["*"], &["*"]));
        for want in [
            "k8s:*",
            "k8s:secrets:read",
            "k8s:impersonate",
            "k8s:escalate",
            "k8s:bind",
            "k8s:pods:create",
            "k8s:serviceaccounts/token:create",
        ] {
            assert!(p.iter().any(|x| x == want), "{want} in {p:?}");
        }
        let p = rule_privileges(&rule(&[""], &["configmaps"], &["get"]));
        assert_eq!(p, ["k8s:configmaps:get"]);
        // Named secrets only, or secrets of another API group: not "read every secret".
        let mut named = rule(&[""], &["secrets"], &["get"]);
        named.resource_names = Some(vec!["app-tls".into()]);
        assert_eq!(rule_privileges(&named), ["k8s:secrets(named):get"]);
        let p = rule_privileges(&rule(&["example.com"], &["secrets"], &["get"]));
        assert_eq!(p, ["k8s:secrets:get"]);
        let p = rule_privileges(&rule(
            &["rbac.authorization.k8s.io"],
            &["clusterroles"],
            &["bind"],
        ));
        assert!(p.contains(&"k8s:bind".to_string()));
    }

    #[test]
    fn bindings_reach_accounts_by_name_user_and_group() {
        let rbac = RbacObjects {
            cluster_role_bindings: vec![
                ClusterRoleBinding {
                    metadata: meta(None, "ci-admin"),
                    role_ref: RoleRef {
                        api_group: "rbac.authorization.k8s.io".into(),
                        kind: "ClusterRole".into(),
                        name: "cluster-admin".into(),
                    },
                    subjects: Some(vec![sa_subject(Some("ci"), "deployer")]),
                },
                ClusterRoleBinding {
                    metadata: meta(None, "all-sa-view"),
                    role_ref: RoleRef {
                        api_group: "rbac.authorization.k8s.io".into(),
                        kind: "ClusterRole".into(),
                        name: "view".into(),
                    },
                    subjects: Some(vec![Subject {
                        kind: "Group".into(),
                        name: "system:serviceaccounts:ci".into(),
                        ..Default::default()
                    }]),
                },
            ],
            role_bindings: vec![RoleBinding {
                metadata: meta(Some("apps"), "reader"),
                role_ref: RoleRef {
                    api_group: "rbac.authorization.k8s.io".into(),
                    kind: "Role".into(),
                    name: "secret-reader".into(),
                },
                // No namespace on the subject: the binding's own.
                subjects: Some(vec![
                    sa_subject(None, "default"),
                    Subject {
                        kind: "User".into(),
                        name: "system:serviceaccount:ci:deployer".into(),
                        ..Default::default()
                    },
                ]),
            }],
            roles: vec![Role {
                metadata: meta(Some("apps"), "secret-reader"),
                rules: Some(vec![rule(&[""], &["secrets"], &["get", "list", "watch"])]),
            }],
            cluster_roles: vec![ClusterRole {
                metadata: meta(None, "cluster-admin"),
                rules: Some(vec![rule(&["*"], &["*"], &["*"])]),
                ..Default::default()
            }],
        };
        let accounts: Vec<AccountKey> = [("ci", "deployer"), ("apps", "default"), ("ci", "other")]
            .iter()
            .map(|(a, b)| (a.to_string(), b.to_string()))
            .collect();
        let grants = grants_by_account(&rbac, &accounts);
        let deployer = &grants[&accounts[0]];
        assert_eq!(
            deployer.iter().map(Grant::describe).collect::<Vec<_>>(),
            [
                "ClusterRoleBinding/ci-admin -> ClusterRole/cluster-admin (cluster-wide)",
                "ClusterRoleBinding/all-sa-view -> ClusterRole/view (cluster-wide, role not found: its rules are unknown)",
                "RoleBinding/apps/reader -> Role/apps/secret-reader (namespace apps)",
            ]
        );
        assert!(deployer[0].privileges.contains("cluster-admin"));
        assert!(deployer[0].privileges.contains("k8s:*"));
        let default = &grants[&accounts[1]];
        assert_eq!(default.len(), 1);
        assert!(default[0].privileges.contains("k8s:secrets:read"));
        assert_eq!(
            grants[&accounts[2]].len(),
            1,
            "through the namespace group only"
        );
    }
}
