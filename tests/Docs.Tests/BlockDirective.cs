using System.Text.RegularExpressions;

namespace BytePiece.Docs.Tests;

/// <summary>How the tests treat a block: run it (the default), or what the directive comment before it says.</summary>
internal enum DirectiveKind
{
    /// <summary>No directive: shell and console blocks run in the page's folder, C# blocks compile and run there.</summary>
    None,

    /// <summary><c>&lt;!-- docs-test: skip (why) --&gt;</c>: not run; the reason is required and listed by the tests.</summary>
    Skip,

    /// <summary><c>&lt;!-- docs-test: run in the repository (why) --&gt;</c>: runs with the repository's root as its folder (commands that build its projects).</summary>
    InRepository,

    /// <summary><c>&lt;!-- docs-test: compile only (why) --&gt;</c>: a C# block that is compiled but not run; the reason is required.</summary>
    CompileOnly,

    /// <summary>A directive the tests do not know: a failure, naming it.</summary>
    Unknown,
}

/// <summary>A parsed <c>&lt;!-- docs-test: KIND (REASON) --&gt;</c> comment.</summary>
internal sealed partial record BlockDirective(DirectiveKind Kind, string Reason, string Text)
{
    public static readonly BlockDirective None = new(DirectiveKind.None, "", "");

    public static BlockDirective Parse(string body)
    {
        Match m = Syntax().Match(body);
        if (!m.Success) return new(DirectiveKind.Unknown, "", body);
        DirectiveKind kind = m.Groups["kind"].Value switch
        {
            "skip" => DirectiveKind.Skip,
            "run in the repository" => DirectiveKind.InRepository,
            _ => DirectiveKind.CompileOnly,
        };
        return new(kind, m.Groups["reason"].Value.Trim(), body);
    }

    /// <summary>A skip or compile-only directive must say why; the others may.</summary>
    public bool NeedsReason => Kind is DirectiveKind.Skip or DirectiveKind.CompileOnly;

    [GeneratedRegex(@"^(?<kind>skip|run in the repository|compile only)\s*(\((?<reason>.*)\))?$")]
    private static partial Regex Syntax();
}
