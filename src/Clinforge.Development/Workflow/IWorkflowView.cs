using Clinforge.Core;

namespace Clinforge.Development;

/// <summary>How a line of the workflow's account is meant to stand out.</summary>
public enum Tone { Plain, Heading, Warning }

/// <summary>
/// Where the workflow tells a person what it is doing: the console of <c>clinforge</c>, or the log a
/// web app's child process writes. The workflow says what; the shell decides how it looks.
/// </summary>
public interface IWorkflowView
{
    /// <summary>One line; with a <paramref name="label"/>, "label: text" with the label set off by <paramref name="tone"/>.</summary>
    void Line(string text, Tone tone = Tone.Plain, string? label = null);

    /// <summary>"label: path", for a file or folder the person will want to open.</summary>
    void Path(string label, string path);

    /// <summary>The understood request, field by field, with the words each came from.</summary>
    void Spec(TaskSpec spec);

    /// <summary>The data card: images per split and class, the protocol and notes.</summary>
    void Data(DataCard card);

    /// <summary>The results table of every trial on validation.</summary>
    void Results(IReadOnlyList<TrialRecord> trials);

    /// <summary>The one test look of a classification run: initial vs final with CIs.</summary>
    void Evaluation(FinalEvaluation evaluation);

    /// <summary>The loop's progress reporter for a run judged on <paramref name="objective"/>.</summary>
    IMonitor Monitor(Objective objective);
}
