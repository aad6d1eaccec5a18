//! The SPD tools against scipy and pyriemann (fixtures written by
//! `tools/decode/make_cov_fixtures.py`): covariance estimators, the
//! generalized eigenproblem of CSP, matrix functions, the Riemannian mean,
//! tangent vectors and MDM distances, each to 1e-8 or better.

mod reference;

use faer::Mat;
use neuroloop_decode::covariance::class_means;
use neuroloop_decode::spd::{
    CovarianceWorkspace, Estimator, MeanOptions, covariances, distance_riemann, expm,
    generalized_eigh, invsqrtm, logm, mean_riemann, normalise_signs, sqrtm, tangent_space,
};
use reference::{f64s, fixture, mat, mats, max_diff, max_diff_slice, signals, usizes};

#[test]
fn covariance_estimators_equal_sklearn_and_pyriemann() {
    let fx = fixture("covariances");
    let (data, c, t) = signals(&fx["signals"]);
    for (name, estimator) in [
        ("scm", Estimator::Scm),
        ("lwf", Estimator::Lwf),
        ("oas", Estimator::Oas),
    ] {
        let ours = covariances(estimator, &data, c, t).unwrap();
        for (i, (a, b)) in ours.iter().zip(mats(&fx[name])).enumerate() {
            let d = max_diff(a, &b);
            assert!(d < 1e-10, "{name} trial {i}: max difference {d:e}");
        }
    }
    let mut ws = CovarianceWorkspace::new(c, t);
    let mut out = Mat::zeros(c, c);
    for (key, estimator) in [
        ("lwf_shrinkage", Estimator::Lwf),
        ("oas_shrinkage", Estimator::Oas),
    ] {
        for (i, expected) in f64s(&fx[key]).iter().enumerate() {
            let s = ws
                .estimate(estimator, &data[i * c * t..(i + 1) * c * t], out.as_mut())
                .unwrap();
            assert!((s - expected).abs() < 1e-12, "{key} {i}: {s} vs {expected}");
        }
    }
}

#[test]
fn shrinkage_keeps_common_average_referenced_covariances_positive_definite() {
    let fx = fixture("covariances");
    let (data, c, t) = signals(&fx["car_signals"]);
    let ours = covariances(Estimator::Lwf, &data, c, t).unwrap();
    let min_eig = f64s(&fx["car_lwf_min_eig"]);
    for (i, (a, b)) in ours.iter().zip(mats(&fx["car_lwf"])).enumerate() {
        assert!(max_diff(a, &b) < 1e-10, "car lwf trial {i}");
        let values = a.self_adjoint_eigenvalues(faer::Side::Lower).unwrap();
        assert!(values[0] > 0.0, "trial {i} not SPD: {values:?}");
        assert!((values[0] - min_eig[i]).abs() < 1e-9 * min_eig[i].abs().max(1.0));
    }
    // The sample covariance of the same data is singular.
    let scm = covariances(Estimator::Scm, &data, c, t).unwrap();
    let values = scm[0].self_adjoint_eigenvalues(faer::Side::Lower).unwrap();
    assert!(
        values[0].abs() < 1e-9 * values[c - 1],
        "CAR data should be rank-deficient"
    );
}

fn check_generalized(a: &Mat<f64>, b: &Mat<f64>, values: &[f64], vectors: &Mat<f64>, what: &str) {
    let sum = b;
    let mut ge = generalized_eigh(a.as_ref(), sum.as_ref()).unwrap();
    normalise_signs(&mut ge.vectors);
    let dv = max_diff_slice(&ge.values, values);
    let dx = max_diff(&ge.vectors, vectors);
    assert!(dv < 1e-10, "{what} eigenvalues differ by {dv:e}");
    assert!(dx < 1e-8, "{what} eigenvectors differ by {dx:e}");
}

#[test]
fn csp_generalized_eigenproblem_equals_scipy_eigh() {
    let fx = fixture("csp");
    let covs = mats(&fx["class_covs"]);
    let sum = &covs[0] + &covs[1];
    check_generalized(
        &covs[0],
        &sum,
        &f64s(&fx["eigenvalues"]),
        &mat(&fx["eigenvectors"]),
        "binary",
    );
    let ovr = mats(&fx["ovr"]["class_covs"]);
    let total = &(&ovr[0] + &ovr[1]) + &ovr[2];
    for (k, case) in fx["ovr"]["per_class"]
        .as_array()
        .unwrap()
        .iter()
        .enumerate()
    {
        check_generalized(
            &ovr[k],
            &total,
            &f64s(&case["eigenvalues"]),
            &mat(&case["eigenvectors"]),
            &format!("class {k} vs rest"),
        );
    }
}

#[test]
fn matrix_functions_equal_pyriemann() {
    let fx = fixture("riemann");
    let c0 = mats(&fx["covs"]).remove(0);
    for (name, ours) in [
        ("sqrtm", sqrtm(c0.as_ref()).unwrap()),
        ("invsqrtm", invsqrtm(c0.as_ref()).unwrap()),
        ("logm", logm(c0.as_ref()).unwrap()),
        ("expm", expm(mat(&fx["logm_expm_input"]).as_ref()).unwrap()),
    ] {
        let d = max_diff(&ours, &mat(&fx[name]));
        assert!(d < 1e-10, "{name}: {d:e}");
    }
    // Not positive definite: a clear error, not NaN.
    let indefinite = mat(&fx["logm_expm_input"]);
    assert!(logm(indefinite.as_ref()).is_err());
}

#[test]
fn riemannian_mean_tangent_vectors_and_distances_equal_pyriemann() {
    let fx = fixture("riemann");
    let covs = mats(&fx["covs"]);
    // The fixture's mean converged to 1e-14; 1e-12 is as close as rounding
    // lets the fixed point be told apart on every build.
    let options = MeanOptions {
        tolerance: 1e-12,
        max_iterations: 500,
    };
    let mean = mean_riemann(&covs, None, options).unwrap();
    let d = max_diff(&mean, &mat(&fx["mean_riemann"]));
    assert!(d < 1e-10, "mean: {d:e}");
    let tangent = tangent_space(&covs, mean.as_ref()).unwrap();
    for (i, (ours, theirs)) in tangent
        .iter()
        .zip(fx["tangent_at_mean"].as_array().unwrap())
        .enumerate()
    {
        let d = max_diff_slice(ours, &f64s(theirs));
        assert!(d < 1e-9, "tangent vector {i}: {d:e}");
    }
    for (i, expected) in f64s(&fx["distances_to_mean"]).iter().enumerate() {
        let ours = distance_riemann(covs[i].as_ref(), mean.as_ref()).unwrap();
        assert!(
            (ours - expected).abs() < 1e-9,
            "distance {i}: {ours} vs {expected}"
        );
    }
}

#[test]
fn mdm_class_means_and_distances_equal_pyriemann() {
    let fx = fixture("riemann");
    let covs = mats(&fx["covs"]);
    let labels = usizes(&fx["labels"]);
    // pyriemann's MDM stops its means at its default tolerance (1e-8, at
    // most 50 iterations): the same iterates here.
    let pyriemann_defaults = MeanOptions {
        tolerance: 1e-8,
        max_iterations: 50,
    };
    let means = class_means(&covs, &labels, 2, pyriemann_defaults).unwrap();
    for (k, expected) in mats(&fx["class_means"]).iter().enumerate() {
        let d = max_diff(&means[k], expected);
        assert!(d < 1e-10, "class mean {k}: {d:e}");
    }
    for (i, row) in fx["mdm_distances"].as_array().unwrap().iter().enumerate() {
        for (k, expected) in f64s(row).iter().enumerate() {
            let ours = distance_riemann(covs[i].as_ref(), means[k].as_ref()).unwrap();
            assert!(
                (ours - expected).abs() < 1e-9,
                "distance {i} to class {k}: {ours} vs {expected}"
            );
        }
    }
}
