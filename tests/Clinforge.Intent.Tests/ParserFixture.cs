namespace Clinforge.Intent.Tests;

/// <summary>Shared helpers: one parser (it is stateless) and the provenance fields every spec must carry.</summary>
internal static class ParserFixture
{
    public static readonly IIntentParser Parser = new RuleBasedParser();

    public static readonly string[] ProvenanceFields =
    [
        "task", "classes", "positive_class", "priority_classes", "error_preference",
        "primary_metric", "operating_point", "requirements", "localize", "confounders", "supervision", "budget", "class_groups",
    ];

    public static TaskSpec Parse(string request, params string[] classes) => Parser.Parse(request, classes);
}
