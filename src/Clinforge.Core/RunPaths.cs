namespace Clinforge.Core;

/// <summary>The run folder layout of DESIGN.md; every later step reads from here.</summary>
public sealed record RunPaths(string Root)
{
    public string Request => Path.Combine(Root, "request.txt");
    public string Settings => Path.Combine(Root, "run.json");
    public string TaskSpec => Path.Combine(Root, "task_spec.json");
    public string DataCard => Path.Combine(Root, "datacard.json");
    public string Splits => Path.Combine(Root, "splits.json");
    public string Journal => Path.Combine(Root, "journal.db");
    public string TrialsDir => Path.Combine(Root, "trials");
    public string FinalDir => Path.Combine(Root, "final");
    public string ReportDir => Path.Combine(Root, "report");
    public string PackageDir => Path.Combine(Root, "package");
    public string ExamplesDir => Path.Combine(ReportDir, "examples");
    /// <summary>report/examples/examples.json: the test images shown in the report, chosen at the one look.</summary>
    public string Examples => Path.Combine(ExamplesDir, "examples.json");
    /// <summary>report/report.md: the report for reading and version control.</summary>
    public string ReportMarkdown => Path.Combine(ReportDir, "report.md");
    /// <summary>report/report.html: the report the web app shows and <c>report --pdf</c> prints.</summary>
    public string ReportHtml => Path.Combine(ReportDir, "report.html");
    /// <summary>report/report.pdf: the printed report.</summary>
    public string ReportPdf => Path.Combine(ReportDir, "report.pdf");
    /// <summary>report/model_card.md: the model card (also copied into the package).</summary>
    public string ModelCard => Path.Combine(ReportDir, "model_card.md");
    public string Evaluation => Path.Combine(FinalDir, "evaluation.json");
    public string TestPredictions => Path.Combine(FinalDir, "test_predictions.csv");
    /// <summary>final/test_predictions_initial.csv: the initial model's test predictions, saved at the one look.</summary>
    public string InitialTestPredictions => Path.Combine(FinalDir, "test_predictions_initial.csv");
    /// <summary>final/test_detections.json: both detectors' boxes on the test images, saved at the one look.</summary>
    public string TestDetections => Path.Combine(FinalDir, "test_detections.json");
    /// <summary>final/detection_evaluation.json: a detection run's one test look.</summary>
    public string DetectionEvaluation => Path.Combine(FinalDir, "detection_evaluation.json");
    /// <summary>The one test look of a segmentation run.</summary>
    public string SegmentationEvaluation => Path.Combine(FinalDir, "segmentation_evaluation.json");
    /// <summary>The files of package/.</summary>
    public PackagePaths Package => new(PackageDir);
    /// <summary>final/trade_off.json: the operating point negotiated on validation when the stated floors conflict.</summary>
    public string TradeOff => Path.Combine(FinalDir, "trade_off.json");
    /// <summary>final/trade_off_options.json: the achievable points waiting for the clinician's choice (<c>--trade-off later</c>).</summary>
    public string TradeOffOptions => Path.Combine(FinalDir, "trade_off_options.json");
    /// <summary>pause_requested: while this file exists the developer stops after the round in progress; continuing removes it.</summary>
    public string PauseRequest => Path.Combine(Root, "pause_requested");
    /// <summary>final/subgroups.json: the final model's test metrics per metadata group.</summary>
    public string Subgroups => Path.Combine(FinalDir, "subgroups.json");
    /// <summary>final/confound.json: the named confounder's inspection and confound analysis.</summary>
    public string Confound => Path.Combine(FinalDir, "confound.json");
    /// <summary>confounder/: per-image confounder labels for debiasing trials, read by the trial processes.</summary>
    public string ConfounderDir => Path.Combine(Root, "confounder");
    /// <summary>confounder/labels.csv: id,probability,source for every image whose confounder is known or predicted.</summary>
    public string ConfounderLabels => Path.Combine(ConfounderDir, "labels.csv");
    /// <summary>confounder/inspection.json: how the confounder was labelled and how strongly it predicts the label.</summary>
    public string ConfounderInspection => Path.Combine(ConfounderDir, "inspection.json");
    /// <summary>confounder/test_labels.csv: the confounder value of each test image, written at the one look.</summary>
    public string ConfounderTestLabels => Path.Combine(ConfounderDir, "test_labels.csv");
    /// <summary>confounder/auxiliary/: the auxiliary confounder classifier (weights, recipe, log), laid out as a trial.</summary>
    public TrialPaths ConfounderClassifier => new(Path.Combine(ConfounderDir, "auxiliary"));
    /// <summary>confounder/auxiliary.json: the auxiliary confounder classifier's validation metrics, when one was trained.</summary>
    public string ConfounderAuxiliary => Path.Combine(ConfounderDir, "auxiliary.json");
    /// <summary>cache/: images decoded at a working resolution and frozen-stage outputs, shared by the run's trials; safe to delete.</summary>
    public string Cache => Path.Combine(Root, "cache");
    /// <summary>run.lock: held by the one process that writes the run.</summary>
    public string Lock => Path.Combine(Root, RunLockFile);
    /// <summary>The lock's file name.</summary>
    public const string RunLockFile = "run.lock";
    /// <summary>web/: what the web app keeps about a run it started (project, parsed spec, answers, data summary, plan, the child's log).</summary>
    public WebPaths Web => new(Path.Combine(Root, "web"));
    public TrialPaths Trial(int n) => new(Path.Combine(TrialsDir, n.ToString("D3", System.Globalization.CultureInfo.InvariantCulture)));
}

/// <summary>Files of one trial.</summary>
public sealed record TrialPaths(string Root)
{
    public string Recipe => Path.Combine(Root, "recipe.json");
    public string Metrics => Path.Combine(Root, "metrics.json");
    public string Log => Path.Combine(Root, "log.txt");
    public string Model => Path.Combine(Root, "model.bin");
    public string ValPredictions => Path.Combine(Root, "val_predictions.csv");
    /// <summary>preprocessing.json: what the model expects of an image (size, channels, normalisation).</summary>
    public string Preprocessing => Path.Combine(Root, "preprocessing.json");
    /// <summary>proposal.json: the change this trial tries and why.</summary>
    public string Proposal => Path.Combine(Root, "proposal.json");
    /// <summary>val_detections.json: a detection trial's boxes on the judging half of its validation images.</summary>
    public string ValDetections => Path.Combine(Root, ValDetectionsFile);
    /// <summary>A segmentation trial's per-image validation scores of its kept epoch (what acceptance pairs).</summary>
    public string ValScores => Path.Combine(Root, "val_scores.json");
    /// <summary>pseudo_labels.json: a teacher–student trial's rounds.</summary>
    public string PseudoLabels => Path.Combine(Root, PseudoLabelsFile);
    /// <summary>slurm_job.sh: the batch script of the trial's Slurm job.</summary>
    public string SlurmScript => Path.Combine(Root, "slurm_job.sh");
    /// <summary>slurm_job.json: the trial's Slurm job (id, attempt, budget, time limit).</summary>
    public string SlurmJob => Path.Combine(Root, SlurmJobFile);
    /// <summary>slurm_timing.json: submission to start, end to record.</summary>
    public string SlurmTiming => Path.Combine(Root, SlurmTimingFile);
    /// <summary>slurm.log: what the Slurm executor did for this trial.</summary>
    public string SlurmLog => Path.Combine(Root, "slurm.log");
    /// <summary>fold_k/: one fold of a cross-validated trial, laid out as a trial.</summary>
    public TrialPaths Fold(int k) => new(Path.Combine(Root, "fold_" + k.ToString(System.Globalization.CultureInfo.InvariantCulture)));

    public const string ValDetectionsFile = "val_detections.json";
    public const string PseudoLabelsFile = "pseudo_labels.json";
    public const string SlurmJobFile = "slurm_job.json";
    public const string SlurmTimingFile = "slurm_timing.json";
}

/// <summary>Files the web app keeps in a run's web/ folder.</summary>
public sealed record WebPaths(string Root)
{
    public string Project => Path.Combine(Root, "project.json");
    public string ParsedSpec => Path.Combine(Root, "parsed_spec.json");
    public string Answers => Path.Combine(Root, "answers.json");
    public string DataSummary => Path.Combine(Root, "data_summary.json");
    public string Log => Path.Combine(Root, "develop.log");
    public string Plan => Path.Combine(Root, "plan.json");
}

/// <summary>Files of a model package (package/ of a run, or a copy of it).</summary>
public sealed record PackagePaths(string Root)
{
    public string Model => Path.Combine(Root, "model.bin");
    public string Recipe => Path.Combine(Root, "recipe.json");
    public string Preprocessing => Path.Combine(Root, "preprocessing.json");
    public string TaskSpec => Path.Combine(Root, "task_spec.json");
    public string ModelCard => Path.Combine(Root, "model_card.md");
    /// <summary>manifest.json: a classification package's operating point and files.</summary>
    public string Manifest => Path.Combine(Root, ManifestFile);
    /// <summary>The classification package manifest's file name.</summary>
    public const string ManifestFile = "manifest.json";
    /// <summary>detection_manifest.json: its presence marks a detection package.</summary>
    public string DetectionManifest => Path.Combine(Root, DetectionPackageManifest.FileName);
    /// <summary>The manifest that marks a segmentation package.</summary>
    public string SegmentationManifest => Path.Combine(Root, SegmentationPackageManifest.FileName);
}

/// <summary>run.json: how a run was started, so <c>clinforge resume</c> continues it with the same settings.</summary>
public sealed record RunSettings(string Data, int Rounds, double TrialSeconds, int Seed, int Threads, double? BudgetMinutes = null, int PlateauPatience = 0, int Parallel = 1, string Proposer = "playbook",
    // How conflicting floors are settled when nobody is at a terminal: null (stated priority), "later" (stop and wait), or an option key.
    string? TradeOff = null,
    // Folders besides the dataset's own that its files may lie in (--allow-root), and the image size limit (--max-image-pixels), so a resumed run reads the same data.
    IReadOnlyList<string>? AllowRoots = null, long? MaxImagePixels = null,
    // Where trials run: "local" (child processes on this machine) or "slurm" (one batch job per trial, settings in Slurm).
    string Executor = "local", SlurmSettings? Slurm = null,
    // The starting point (--start): "auto" (the initializer's rule), "pretrained" or "scratch", so a clinician or a benchmark can compare the two.
    string Start = "auto",
    // The development protocol (--protocol): "auto" (chosen from the data), "holdout" or "folds".
    string Protocol = "auto",
    // How many folds of a cross-validated trial train at once, one process each (--fold-workers); 0: one per two of the trial's cores.
    int FoldWorkers = 0,
    // A recipe file to start from instead of the initializer's plan (--recipe): an edited recipe.json, or a benchmark's fixed arm.
    string? Recipe = null);
