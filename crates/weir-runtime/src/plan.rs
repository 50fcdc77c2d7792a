//! From a job graph to tasks: parallelism, partitioners and chains, decided before
//! anything runs. Pure functions of the graph, so they are tested without running jobs.
//!
//! Chaining, as Flink does it: an edge is chained when
//! 1. its partitioner is forward (explicitly, or by default between equal parallelisms),
//! 2. it is the consumer's only input edge,
//! 3. the consumer's chaining strategy is `Always` and the producer's is not `Never`,
//! 4. chaining is enabled for the job.
//!
//! Each vertex then belongs to the chain of its head (a vertex with no chained input);
//! each chain runs as `parallelism` tasks.

use weir_core::VertexId;

use crate::config::ExecutionConfig;
use crate::graph::{ChainingStrategy, JobGraph, Partitioner};
use crate::JobError;

/// What the runtime decided about a graph.
#[derive(Debug, Clone)]
pub struct ExecutionPlan {
    /// Parallelism of each vertex.
    pub parallelism: Vec<usize>,
    /// Maximum parallelism (key groups) of each vertex.
    pub max_parallelism: Vec<usize>,
    /// The partitioner of each edge, defaults resolved.
    pub partitioners: Vec<Partitioner>,
    /// Whether each edge is chained.
    pub chained: Vec<bool>,
    /// The chains, one per task group, in vertex order of their heads.
    pub chains: Vec<Chain>,
}

/// Vertices that run together in one task.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Chain {
    /// The head, which reads the task's input.
    pub head: VertexId,
    /// Every vertex of the chain, head first, in graph order.
    pub vertices: Vec<VertexId>,
    /// The name tasks show: the vertices' names joined by ` -> `.
    pub name: String,
    /// Number of parallel tasks.
    pub parallelism: usize,
}

impl ExecutionPlan {
    /// Plans `graph`.
    ///
    /// # Errors
    /// [`JobError::InvalidGraph`] naming the vertex or edge at fault.
    pub fn new(graph: &JobGraph) -> Result<Self, JobError> {
        let invalid = |m: String| JobError::InvalidGraph(m);
        graph.config.validate().map_err(invalid)?;
        let config: &ExecutionConfig = &graph.config;
        let nv = graph.vertices.len();
        if nv == 0 {
            return Err(invalid("the job has no operators; add a source and a sink".into()));
        }
        let mut parallelism = Vec::with_capacity(nv);
        let mut max_parallelism = Vec::with_capacity(nv);
        for (i, v) in graph.vertices.iter().enumerate() {
            if v.id.0 as usize != i {
                return Err(JobError::Internal(format!("vertex '{}' has id {} at index {i}", v.name, v.id.0)));
            }
            let p = v.parallelism.unwrap_or(config.parallelism);
            let maxp = v
                .max_parallelism
                .or(config.max_parallelism)
                .unwrap_or_else(|| ExecutionConfig::default_max_parallelism(p));
            if p == 0 {
                return Err(invalid(format!("operator '{}': parallelism must be at least 1", v.name)));
            }
            if maxp == 0 || maxp > weir_core::key_group::UPPER_BOUND_MAX_PARALLELISM {
                return Err(invalid(format!("operator '{}': max parallelism {maxp} is out of range", v.name)));
            }
            if p > maxp {
                return Err(invalid(format!(
                    "operator '{}': parallelism {p} is larger than its max parallelism {maxp}",
                    v.name
                )));
            }
            parallelism.push(p);
            max_parallelism.push(maxp);
        }

        let mut inputs_seen: Vec<Vec<bool>> = graph.vertices.iter().map(|v| vec![false; v.factory.inputs()]).collect();
        let mut in_degree = vec![0usize; nv];
        let mut partitioners = Vec::with_capacity(graph.edges.len());
        for e in &graph.edges {
            let (s, t) = (e.source.0 as usize, e.target.0 as usize);
            if s >= nv || t >= nv || s >= t {
                return Err(JobError::Internal(format!("edge {s} -> {t} is not from an earlier to a later vertex")));
            }
            let (src, dst) = (&graph.vertices[s], &graph.vertices[t]);
            let seen = inputs_seen[t].get_mut(e.input).ok_or_else(|| {
                JobError::Internal(format!("edge into input {} of '{}', which has fewer inputs", e.input, dst.name))
            })?;
            *seen = true;
            in_degree[t] += 1;
            let p = match &e.partitioner {
                Some(p) => p.clone(),
                None if parallelism[s] == parallelism[t] => Partitioner::Forward,
                None => Partitioner::Rebalance,
            };
            if matches!(p, Partitioner::Forward) && parallelism[s] != parallelism[t] {
                return Err(invalid(format!(
                    "forward partitioning from '{}' (parallelism {}) to '{}' (parallelism {}) needs equal \
                     parallelism; use rebalance() or rescale()",
                    src.name, parallelism[s], dst.name, parallelism[t]
                )));
            }
            partitioners.push(p);
        }
        for (i, v) in graph.vertices.iter().enumerate() {
            if let Some(missing) = inputs_seen[i].iter().position(|seen| !seen) {
                return Err(JobError::Internal(format!("input {missing} of '{}' has no edge", v.name)));
            }
        }

        let chained: Vec<bool> = graph
            .edges
            .iter()
            .zip(&partitioners)
            .map(|(e, p)| {
                let (src, dst) = (&graph.vertices[e.source.0 as usize], &graph.vertices[e.target.0 as usize]);
                config.chaining
                    && matches!(p, Partitioner::Forward)
                    && in_degree[e.target.0 as usize] == 1
                    && dst.chaining == ChainingStrategy::Always
                    && src.chaining != ChainingStrategy::Never
            })
            .collect();

        let mut head_of: Vec<usize> = (0..nv).collect();
        for (e, &c) in graph.edges.iter().zip(&chained) {
            if c {
                // Edges go from earlier to later vertices, so the source's head is final.
                head_of[e.target.0 as usize] = head_of[e.source.0 as usize];
            }
        }
        let chains = (0..nv)
            .filter(|&v| head_of[v] == v)
            .map(|h| {
                let vertices: Vec<VertexId> =
                    (0..nv).filter(|&v| head_of[v] == h).map(|v| VertexId(v as u32)).collect();
                let name = chain_name(graph, &chained, h);
                Chain { head: VertexId(h as u32), vertices, name, parallelism: parallelism[h] }
            })
            .collect();
        Ok(ExecutionPlan { parallelism, max_parallelism, partitioners, chained, chains })
    }

    /// The consumer subtasks producer subtask `i` is connected to on `edge`.
    pub fn targets(&self, graph: &JobGraph, edge: usize, i: usize) -> std::ops::Range<usize> {
        let e = &graph.edges[edge];
        let (ps, pt) = (self.parallelism[e.source.0 as usize], self.parallelism[e.target.0 as usize]);
        if !self.partitioners[edge].is_pointwise() {
            return 0..pt;
        }
        pointwise_targets(ps, pt, i)
    }
}

/// A chain's name as Flink shows it: `A -> B`, with branches in parentheses when a vertex
/// feeds several chained successors: `A -> (B -> C, D)`.
fn chain_name(graph: &JobGraph, chained: &[bool], v: usize) -> String {
    let next: Vec<String> = graph
        .edges
        .iter()
        .zip(chained)
        .filter(|(e, &c)| c && e.source.0 as usize == v)
        .map(|(e, _)| chain_name(graph, chained, e.target.0 as usize))
        .collect();
    let own = &graph.vertices[v].name;
    match next.len() {
        0 => own.clone(),
        1 => format!("{own} -> {}", next[0]),
        _ => format!("{own} -> ({})", next.join(", ")),
    }
}

/// Pointwise (forward, rescale) connections, as Flink wires them: with `ps >= pt`,
/// consumer `t` reads producers `[t * ps / pt, (t + 1) * ps / pt)`, so producer `i` feeds
/// the one consumer whose range holds it; with `ps < pt`, producer `i` feeds consumers
/// `[ceil(i * pt / ps), ceil((i + 1) * pt / ps))`.
pub fn pointwise_targets(ps: usize, pt: usize, i: usize) -> std::ops::Range<usize> {
    if ps >= pt {
        let t = ((i + 1) * pt - 1) / ps;
        t..t + 1
    } else {
        (i * pt).div_ceil(ps)..((i + 1) * pt).div_ceil(ps)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pointwise_groups_cover_every_consumer_once() {
        for ps in 1..9 {
            for pt in 1..9 {
                let mut fed = vec![0; pt];
                for i in 0..ps {
                    let r = pointwise_targets(ps, pt, i);
                    assert!(!r.is_empty(), "producer {i} of {ps} feeds nobody (pt {pt})");
                    for t in r {
                        fed[t] += 1;
                    }
                }
                assert!(fed.iter().all(|&f| f >= 1), "ps {ps} pt {pt}: {fed:?}");
                if ps <= pt {
                    assert!(fed.iter().all(|&f| f == 1), "ps {ps} pt {pt}: {fed:?}");
                }
            }
        }
        assert_eq!(pointwise_targets(2, 4, 1), 2..4);
        // 3 -> 2: consumer 0 reads producer 0, consumer 1 reads producers 1 and 2 (Flink).
        assert_eq!([0, 1, 2].map(|i| pointwise_targets(3, 2, i).start), [0, 1, 1]);
        // Consumer t reads [t * ps / pt, (t + 1) * ps / pt) for every ps >= pt.
        for ps in 1..40 {
            for pt in 1..=ps {
                for i in 0..ps {
                    let t = pointwise_targets(ps, pt, i).start;
                    assert!(t * ps / pt <= i && i < (t + 1) * ps / pt, "ps {ps} pt {pt} i {i} -> {t}");
                }
            }
        }
        assert_eq!(pointwise_targets(4, 2, 3), 1..2);
        assert_eq!(pointwise_targets(3, 3, 2), 2..3);
    }
}
