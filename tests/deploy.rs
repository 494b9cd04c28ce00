//! The scale-out examples under deploy/ are usable as written: the Kubernetes manifests
//! parse into the Kubernetes API types and their shard arithmetic agrees, the GitHub
//! Actions workflow passes actionlint, and the shard command of the Indexed Job, run as a
//! pod would (JOB_COMPLETION_INDEX set), writes inventories `nhiscan merge` joins.

mod common;

use common::*;
use k8s_openapi::api::batch::v1::Job;
use k8s_openapi::api::core::v1::{ConfigMap, PersistentVolumeClaim};
use serde_json::Value;

/// Every document of a YAML file, as JSON values.
fn documents(path: &str) -> Vec<Value> {
    let text = std::fs::read_to_string(crate_root().join(path)).unwrap();
    serde_norway::Deserializer::from_str(&text)
        .map(|d| {
            let yaml: serde_norway::Value = serde::Deserialize::deserialize(d).unwrap();
            serde_json::to_value(yaml).unwrap()
        })
        .collect()
}

/// `doc` as the API type; a field the type does not know (a typo, a wrong level) is lost in
/// the round trip and fails the test, since serde would otherwise ignore it.
fn typed<T: serde::de::DeserializeOwned + serde::Serialize>(doc: Value) -> T {
    let object: T = serde_json::from_value(doc.clone()).expect("an API object");
    assert_eq!(
        serde_json::to_value(&object).unwrap(),
        doc,
        "fields the API type does not have"
    );
    object
}

fn shell_command(job: &Job) -> String {
    let container = &job
        .spec
        .as_ref()
        .unwrap()
        .template
        .spec
        .as_ref()
        .unwrap()
        .containers[0];
    container.args.as_ref().unwrap().join(" ")
}

#[test]
fn the_kubernetes_manifests_are_valid_api_objects_with_consistent_shards() {
    let docs = documents("deploy/kubernetes/scan-job.yaml");
    let mut job = None;
    let mut claims = Vec::new();
    let mut config_maps = Vec::new();
    for doc in docs {
        match doc["kind"].as_str().unwrap() {
            "Job" => job = Some(typed::<Job>(doc)),
            "PersistentVolumeClaim" => claims.push(typed::<PersistentVolumeClaim>(doc)),
            "ConfigMap" => config_maps.push(typed::<ConfigMap>(doc)),
            other => panic!("unexpected kind {other}"),
        }
    }
    let job = job.expect("the Indexed Job");
    let spec = job.spec.as_ref().unwrap();
    assert_eq!(spec.completion_mode.as_deref(), Some("Indexed"));
    let completions = spec.completions.unwrap();
    assert_eq!(
        spec.parallelism,
        Some(completions),
        "one pod per shard at once"
    );
    let command = shell_command(&job);
    assert!(
        command.contains(&format!(
            "--shard \"${{JOB_COMPLETION_INDEX}}/{completions}\""
        )),
        "--shard COUNT must equal completions: {command}"
    );
    // Every volume the container mounts exists, and the claim and config map it names too.
    let pod = spec.template.spec.as_ref().unwrap();
    let volumes: Vec<&str> = pod
        .volumes
        .as_ref()
        .unwrap()
        .iter()
        .map(|v| v.name.as_str())
        .collect();
    for mount in pod.containers[0].volume_mounts.as_ref().unwrap() {
        assert!(
            volumes.contains(&mount.name.as_str()),
            "{} not a volume",
            mount.name
        );
    }
    let claim = claims[0].metadata.name.as_deref().unwrap();
    assert!(pod.volumes.as_ref().unwrap().iter().any(|v| {
        v.persistent_volume_claim
            .as_ref()
            .is_some_and(|c| c.claim_name == claim)
    }));
    assert!(
        config_maps[0]
            .data
            .as_ref()
            .unwrap()
            .contains_key("repos.txt")
    );

    let merge: Vec<Value> = documents("deploy/kubernetes/merge-job.yaml");
    let merge = typed::<Job>(merge[0].clone());
    let command = shell_command(&merge);
    assert!(
        command.contains("nhiscan merge /inventories/shard-*.json"),
        "{command}"
    );
    let merge_pod = merge.spec.as_ref().unwrap().template.spec.as_ref().unwrap();
    assert!(merge_pod.volumes.as_ref().unwrap().iter().any(|v| {
        v.persistent_volume_claim
            .as_ref()
            .is_some_and(|c| c.claim_name == claim)
    }));
}

#[test]
fn the_matrix_workflow_passes_actionlint_and_its_matrix_matches_the_shard_count() {
    let path = crate_root().join("deploy/github-actions/org-scan.yml");
    let (ok, said) = common::actionlint::actionlint(&[&path]);
    assert!(ok, "actionlint: {said}");
    let doc = &documents("deploy/github-actions/org-scan.yml")[0];
    let shards = doc["env"]["SHARDS"].as_u64().unwrap();
    let matrix = doc["jobs"]["shard"]["strategy"]["matrix"]["index"]
        .as_array()
        .unwrap();
    assert!(shards <= 256, "GitHub caps a matrix at 256 jobs");
    assert_eq!(matrix.len() as u64, shards);
    assert!(
        matrix
            .iter()
            .enumerate()
            .all(|(n, i)| i.as_u64() == Some(n as u64))
    );
}

#[test]
fn the_indexed_jobs_command_run_per_index_writes_shards_that_merge() {
    // The pod's command with the container's paths pointed at a temporary directory.
    let docs = documents("deploy/kubernetes/scan-job.yaml");
    let job: Job =
        serde_json::from_value(docs.iter().find(|d| d["kind"] == "Job").unwrap().clone()).unwrap();
    let completions = job.spec.as_ref().unwrap().completions.unwrap();
    let root = tempfile::tempdir().unwrap();
    let repo = common::git::Repo::new(root.path(), "svc");
    repo.write("app.env", "TOKEN=glpat-qNq_3QDEdOy8Du2QCMRS\n");
    repo.commit("config", "2025-01-01T10:00:00Z", "Dev One");
    let (config, inventories) = (root.path().join("config"), root.path().join("inventories"));
    std::fs::create_dir_all(&config).unwrap();
    std::fs::create_dir_all(&inventories).unwrap();
    std::fs::write(
        config.join("repos.txt"),
        format!("{}\n", repo.dir.display()),
    )
    .unwrap();
    let command = shell_command(&job)
        .replace("/config/", &format!("{}/", config.display()))
        .replace("/inventories/", &format!("{}/", inventories.display()));
    let bin = std::path::PathBuf::from(env!("CARGO_BIN_EXE_nhiscan"));
    let path = format!(
        "{}:{}",
        bin.parent().unwrap().display(),
        std::env::var("PATH").unwrap()
    );
    for index in 0..completions {
        let out = std::process::Command::new("/bin/sh")
            .args(["-c", &command])
            .env("JOB_COMPLETION_INDEX", index.to_string())
            .env("PATH", &path)
            .env("NHISCAN_NOW", NOW)
            .env("TMPDIR", root.path())
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "index {index}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    let shards: Vec<std::path::PathBuf> = (0..completions)
        .map(|i| inventories.join(format!("shard-{i}.json")))
        .collect();
    let out = nhiscan().arg("merge").args(&shards).output().unwrap();
    assert_eq!(
        out.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let merged: Value = serde_json::from_slice(&out.stdout).unwrap();
    // A local entry is named as the list writes it.
    let place = format!("{}:app.env", repo.dir.display());
    assert!(
        merged["identities"]
            .as_array()
            .unwrap()
            .iter()
            .any(|i| i["exposures"][0]["path"] == place.as_str()),
        "{place}"
    );
}
