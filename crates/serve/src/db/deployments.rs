//! The deployments in the database: versions of workflows (`workflows`), their components
//! (`artifacts`) and, for versions deployed as graphs, the graph and its identity
//! (`graphs`); and the migration of an instance between versions.

use anyhow::Context;

use super::{now_ms, num, p, Db, R};

/// A deployed version.
#[derive(Debug, Clone)]
pub struct Version {
    pub version: u32,
    /// sha256 of the component, hex.
    pub artifact: String,
    /// `graph` (compiled by the server) or `component` (uploaded).
    pub source: String,
    /// The deployment's settings as JSON ([`crate::deploy::Settings`]).
    pub settings: String,
    /// Unix seconds.
    pub created: String,
}

impl Version {
    /// A row of `SELECT version, artifact, source, settings, created FROM workflows`.
    fn from_row(r: &[Option<String>]) -> Version {
        let text = |i: usize| r[i].clone().unwrap_or_default();
        Version {
            version: num(&r[0]).unwrap_or(0),
            artifact: text(1),
            source: text(2),
            settings: text(3),
            created: text(4),
        }
    }
}

impl Db {
    /// Records a new version of `workflow_id` (with its graph's JSON and identity JSON when
    /// deployed as a graph) and returns its number: one more than the highest so far, deleted ones
    /// included, so numbers are never reused.
    pub fn add_version(
        &self,
        tenant: &str,
        workflow_id: &str,
        artifact: &str,
        source: &str,
        settings: &str,
        graph: Option<(&str, &str)>,
    ) -> R<u32> {
        self.store.transaction(|tx| {
            let rows = tx.query(
                "SELECT version FROM workflows WHERE tenant = $1 AND workflow_id = $2",
                vec![p(tenant), p(workflow_id)],
            )?;
            let next = rows.iter().filter_map(|r| num::<u32>(&r[0])).max().unwrap_or(0) + 1;
            let created = now_ms() / 1000;
            tx.query(
                "INSERT INTO workflows (tenant, workflow_id, version, artifact, source, settings, created)
                 VALUES ($1, $2, $3, $4, $5, $6, $7)",
                vec![p(tenant), p(workflow_id), p(next), p(artifact), p(source), p(settings), p(created)],
            )?;
            if let Some((graph, identity)) = graph {
                tx.query(
                    "INSERT INTO graphs (tenant, workflow_id, version, graph, identity) VALUES ($1, $2, $3, $4, $5)",
                    vec![p(tenant), p(workflow_id), p(next), p(graph), p(identity)],
                )?;
            }
            Ok(next)
        })
    }

    /// `(workflow_id, version, graph JSON)` of every live version of `tenant` deployed as a
    /// graph: the workflows its graphs may call as agents.
    pub fn published_graphs(&self, tenant: &str) -> R<Vec<(String, u32, String)>> {
        let rows = self.store.query(
            "SELECT g.workflow_id, g.version, g.graph FROM graphs g JOIN workflows w ON w.tenant = g.tenant
                 AND w.workflow_id = g.workflow_id AND w.version = g.version
             WHERE g.tenant = $1 AND w.deleted IS NULL",
            vec![p(tenant)],
        )?;
        Ok(rows
            .into_iter()
            .map(|r| (r[0].clone().unwrap_or_default(), num(&r[1]).unwrap_or(0), r[2].clone().unwrap_or_default()))
            .collect())
    }

    /// `(graph JSON, identity JSON)` of a version deployed as a graph.
    pub fn graph(&self, tenant: &str, workflow_id: &str, version: u32) -> R<Option<(String, String)>> {
        let rows = self.store.query(
            "SELECT graph, identity FROM graphs WHERE tenant = $1 AND workflow_id = $2 AND version = $3",
            vec![p(tenant), p(workflow_id), p(version)],
        )?;
        Ok(rows.into_iter().next().map(|r| (r[0].clone().unwrap_or_default(), r[1].clone().unwrap_or_default())))
    }

    /// Moves a parked instance's run from version `from` to `to` and records `identity` as
    /// the graph it runs, in one transaction; `false` when it is no longer parked on `from`
    /// (it started running, finished, or was migrated meanwhile).
    pub fn migrate(&self, tenant: &str, id: &str, from: u32, to: u32, identity: &str) -> R<bool> {
        self.store.transaction(|tx| {
            let parked = tx.query(
                "SELECT status FROM instances WHERE tenant = $1 AND id = $2
                 AND status IN ('pending', 'sleeping', 'waiting', 'suspended')",
                vec![p(tenant), p(id)],
            )?;
            let moved = !parked.is_empty()
                && !tx
                    .query(
                        "UPDATE runs SET version = $1 WHERE tenant = $2 AND id = $3 AND version = $4 RETURNING id",
                        vec![p(to), p(tenant), p(id), p(from)],
                    )?
                    .is_empty();
            if moved {
                tx.query(
                    "INSERT INTO instance_graphs (tenant, instance, identity) VALUES ($1, $2, $3)
                     ON CONFLICT (tenant, instance) DO UPDATE SET identity = excluded.identity RETURNING instance",
                    vec![p(tenant), p(id), p(identity)],
                )?;
            }
            Ok(moved)
        })
    }

    /// Stores a component under its sha256 (once).
    pub fn put_artifact(&self, sha256: &str, wasm: &[u8]) -> R<()> {
        use base64::Engine;
        let text = base64::engine::general_purpose::STANDARD.encode(wasm);
        self.store.query(
            "INSERT INTO artifacts (sha256, wasm) VALUES ($1, $2) ON CONFLICT (sha256) DO NOTHING RETURNING sha256",
            vec![p(sha256), p(text)],
        )?;
        Ok(())
    }

    /// The component stored under `sha256`.
    pub fn artifact(&self, sha256: &str) -> R<Option<Vec<u8>>> {
        use base64::Engine;
        let rows = self.store.query("SELECT wasm FROM artifacts WHERE sha256 = $1", vec![p(sha256)])?;
        let Some(text) = rows.into_iter().next().and_then(|mut r| r.remove(0)) else { return Ok(None) };
        Ok(Some(base64::engine::general_purpose::STANDARD.decode(text).context("a stored artifact is not base64")?))
    }

    /// The live (not deleted) versions of a workflow, oldest first.
    pub fn versions(&self, tenant: &str, workflow_id: &str) -> R<Vec<Version>> {
        let rows = self.store.query(
            "SELECT version, artifact, source, settings, created FROM workflows
             WHERE tenant = $1 AND workflow_id = $2 AND deleted IS NULL",
            vec![p(tenant), p(workflow_id)],
        )?;
        let mut out: Vec<Version> = rows.into_iter().map(|r| Version::from_row(&r)).collect();
        out.sort_by_key(|v| v.version);
        Ok(out)
    }

    /// The ids of a tenant's live workflows, sorted.
    pub fn workflow_ids(&self, tenant: &str) -> R<Vec<String>> {
        let rows = self.store.query(
            "SELECT DISTINCT workflow_id FROM workflows WHERE tenant = $1 AND deleted IS NULL ORDER BY workflow_id",
            vec![p(tenant)],
        )?;
        Ok(rows.into_iter().filter_map(|mut r| r.remove(0)).collect())
    }

    /// Marks every version of a workflow deleted; false when there was none. Instances
    /// already started keep running on their version.
    pub fn delete_workflow(&self, tenant: &str, workflow_id: &str) -> R<bool> {
        let rows = self.store.query(
            "UPDATE workflows SET deleted = $1 WHERE tenant = $2 AND workflow_id = $3 AND deleted IS NULL
             RETURNING version",
            vec![p(now_ms() / 1000), p(tenant), p(workflow_id)],
        )?;
        Ok(!rows.is_empty())
    }

    /// One version, deleted or not (a running instance may outlive its deployment).
    pub fn version(&self, tenant: &str, workflow_id: &str, version: u32) -> R<Option<Version>> {
        let rows = self.store.query(
            "SELECT version, artifact, source, settings, created FROM workflows
             WHERE tenant = $1 AND workflow_id = $2 AND version = $3",
            vec![p(tenant), p(workflow_id), p(version)],
        )?;
        Ok(rows.first().map(|r| Version::from_row(r)))
    }
}
