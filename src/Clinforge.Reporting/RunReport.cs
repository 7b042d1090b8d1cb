using Clinforge.Core;

namespace Clinforge.Reporting;

/// <summary>Builds a <see cref="ReportInput"/> from the run folder's files and writes every report file.</summary>
public static class RunReport
{
    /// <summary>
    /// Reads request, spec, card, evaluation and test predictions from <paramref name="run"/>; the
    /// trials and test looks come from the journal, which the caller reads (Reporting does not see
    /// Development).
    /// </summary>
    public static ReportInput Load(RunPaths run, IReadOnlyList<TrialRecord> trials, IReadOnlyList<(DateTimeOffset Time, string Kind, string Message)> testLooks,
        IReadOnlyDictionary<int, string>? decisions = null)
    {
        if (!File.Exists(run.TaskSpec)) throw new ClinforgeException($"{run.Root}: not a run folder (no task_spec.json).");
        if (!File.Exists(run.DataCard)) throw new ClinforgeException($"{run.DataCard}: missing; run 'clinforge develop' first.");
        var initial = run.InitialTestPredictions;
        return new ReportInput(
            run,
            File.Exists(run.Request) ? File.ReadAllText(run.Request) : "",
            Json.Read<TaskSpec>(run.TaskSpec),
            Json.Read<DataCard>(run.DataCard),
            trials,
            testLooks,
            File.Exists(run.Evaluation) ? Json.Read<FinalEvaluation>(run.Evaluation) : null,
            File.Exists(run.TestPredictions) ? PredictionTable.Read(run.TestPredictions) : null,
            File.Exists(initial) ? PredictionTable.Read(initial) : null,
            File.Exists(run.Examples) ? Json.Read<List<ExampleImage>>(run.Examples) : null,
            File.Exists(run.TradeOff) ? Json.Read<TradeOffDecision>(run.TradeOff) : null,
            File.Exists(run.Subgroups) ? Json.Read<List<SubgroupTable>>(run.Subgroups) : null,
            File.Exists(run.Confound) ? Json.Read<Clinforge.Evaluation.ConfoundReport>(run.Confound) : null,
            ConvolutionPaths(run, trials),
            decisions);
    }

    /// <summary>The distinct convolution paths the trials ran on (from each metrics.json), so the report says which numerics trained the model.</summary>
    public static IReadOnlyList<string> ConvolutionPaths(RunPaths run, IReadOnlyList<TrialRecord> trials) =>
        trials.Select(t => run.Trial(t.Number).Metrics).Where(File.Exists)
            .Select(f => Json.Read<TrialMetrics>(f).Convolutions).OfType<string>().Distinct(StringComparer.Ordinal).ToList();

    /// <summary>The spec's fields as shown in both reports (name as in task_spec.json, value in words); optional fields only when set.</summary>
    public static IReadOnlyList<(string Field, string Value)> SpecFields(TaskSpec spec)
    {
        var inv = System.Globalization.CultureInfo.InvariantCulture;
        var rows = new List<(string, string)>
        {
            ("task", spec.Task.ToString().ToLowerInvariant()),
            ("classes", string.Join(", ", spec.Classes)),
            ("positive_class", spec.PositiveClass ?? "—"),
            ("priority_classes", spec.PriorityClasses.Count == 0 ? "—" : string.Join(", ", spec.PriorityClasses)),
            ("error_preference", spec.ErrorPreference.ToString().ToLowerInvariant()),
            ("primary_metric", spec.PrimaryMetric),
            ("operating_point", spec.OperatingPoint is { } op ? $"{op.Maximize} at {op.Constraint} ≥ {op.ConstraintValue.ToString("0.00", inv)}" : "—"),
        };
        if (spec.ClassGroups.Any(g => g.Value.Count > 1))
            rows.Add(("class_groups", string.Join("; ", spec.ClassGroups.Where(g => g.Value.Count > 1).Select(g => $"{g.Key} = {string.Join(" + ", g.Value)}"))));
        if (spec.Requirements.Count > 0)
            rows.Add(("requirements", string.Join("; ", spec.Requirements.Select(q => $"{q.Metric} ≥ {q.Minimum.ToString("0.00", inv)}"))));
        rows.Add(("confounders", spec.Confounders.Count == 0 ? "—" : string.Join(", ", spec.Confounders.Select(c => c.Name))));
        return rows;
    }

    /// <summary>Writes report/report.md, report/report.html and report/model_card.md; returns the HTML path.</summary>
    public static string WriteAll(ReportInput input)
    {
        ArgumentNullException.ThrowIfNull(input);
        return ReportFiles.Write(input.Run, ClassificationReport.Build(input), ModelCard.Build(input));
    }
}
