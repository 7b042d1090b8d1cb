using Clinforge.Core;
using Clinforge.Data;
using Clinforge.Intent;
using Spectre.Console;

namespace Clinforge.Cli;

/// <summary>
/// <c>clinforge data add DIR --name N [--card "free text"]</c> and <c>clinforge data list</c>: the
/// workspace's dataset library, so <c>develop</c> can find a dataset from the request alone.
/// </summary>
internal static class DataCommand
{
    /// <summary><c>clinforge data list</c>.</summary>
    public static int List(Args a)
    {
        var library = new DatasetLibrary(DatasetLibrary.ResolveWorkspace(a.Get("workspace")));
        var entries = library.Entries();
        if (entries.Count == 0) { Console.WriteLine($"No dataset registered in {library.File}."); return 0; }
        var table = new Table().AddColumns("name", "classes (images)", "path", "card");
        foreach (var e in entries)
            table.AddRow(Markup.Escape(e.Name), Markup.Escape(string.Join(", ", e.Classes.Select(c => $"{c} ({e.CountsPerClass.GetValueOrDefault(c)})"))), Markup.Escape(e.Path), Markup.Escape(e.Card ?? "—"));
        AnsiConsole.Write(table);
        return 0;
    }

    /// <summary><c>clinforge data add DIR --name N</c>.</summary>
    public static int Add(Args a)
    {
        var library = new DatasetLibrary(DatasetLibrary.ResolveWorkspace(a.Get("workspace")));
        if (a.Positional.Count != 1) throw new ClinforgeException("usage: clinforge data add DIR --name N [--card \"free text\"]");
        string name = a.Require("name", "a short name for the dataset");
        string? card = a.Get("card");
        // Opening the data checks it (readable images, classes) before anything is registered.
        var path = Path.GetFullPath(a.Positional[0]);
        var ds = DatasetReader.Open(path);
        var counts = ds.Classes.Select((c, i) => (c, ds.Items.Count(x => x.Label == i))).ToDictionary(x => x.c, x => x.Item2);
        library.Add(new LibraryEntry(name, path, ds.Format, ds.Classes, counts, ds.Items.Count, card, DateTimeOffset.UtcNow));
        // Image/mask pairs have no classes to count: say what the masks are instead.
        var what = ds.Segmentation is { Summary: var seg }
            ? $"{seg.Pairs} image/mask pairs ({seg.MaskKind} masks{(seg.RegionOfInterest ? ", with regions of interest" : "")}; {seg.Layout})"
            : $"{ds.Items.Count} images, classes {string.Join(", ", counts.Select(kv => $"{kv.Key} ({kv.Value})"))}";
        AnsiConsole.MarkupLine($"Registered [blue]{Markup.Escape(name)}[/]: {Markup.Escape(what)} → {Markup.Escape(library.File)}");
        return 0;
    }

    /// <summary>
    /// The dataset for a request given without <c>--data</c>: the library's clear best match, said
    /// with its reasons; when unsure, the clinician picks on a terminal, and a script gets an error
    /// listing the candidates.
    /// </summary>
    public static string Choose(string request, string? workspace, bool canAsk)
    {
        var library = new DatasetLibrary(DatasetLibrary.ResolveWorkspace(workspace));
        var entries = library.Entries();
        var best = DatasetMatcher.Best(request, entries, out var why);
        if (best is not null)
        {
            AnsiConsole.MarkupLine($"[green]dataset[/]: {Markup.Escape(why)} → {Markup.Escape(best.Entry.Path)}");
            return best.Entry.Path;
        }
        if (entries.Count == 0 || !canAsk)
        {
            var candidates = entries.Count == 0 ? "" : " Registered: " + string.Join(", ", DatasetMatcher.Rank(request, entries).Select(m => $"{m.Entry.Name} ({m.Entry.Path})")) + ".";
            throw new ClinforgeException($"no --data given and I am not sure which dataset you mean: {why}.{candidates} Give --data PATH.");
        }
        AnsiConsole.MarkupLine($"[yellow]dataset[/]: {Markup.Escape(why)}.");
        var ranked = DatasetMatcher.Rank(request, entries);
        var pick = AnsiConsole.Prompt(new SelectionPrompt<string>().Title("Which dataset should I use?").AddChoices(ranked.Select(m => m.Entry.Name)));
        return ranked.First(m => m.Entry.Name == pick).Entry.Path;
    }
}
