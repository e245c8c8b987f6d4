namespace VgtData.Config;

/// <summary>One problem in a config: which file, which key path, what is wrong. Warnings do not stop a run.</summary>
public sealed record ConfigIssue(string File, string KeyPath, string Message, bool IsWarning = false)
{
    public override string ToString() => $"{(IsWarning ? "warning" : "error")}: {File}: {KeyPath}: {Message}";
}

/// <summary>A config that cannot be used; <see cref="Issues"/> lists every error found, not just the first.</summary>
public sealed class ConfigException(IReadOnlyList<ConfigIssue> issues)
    : VgtDataException(string.Join(Environment.NewLine, issues.Select(i => i.ToString())))
{
    public IReadOnlyList<ConfigIssue> Issues { get; } = issues;
}
