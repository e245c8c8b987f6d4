namespace VgtData.Preparation;

/// <summary>How <see cref="TarExtractor"/> lays out and reports what it extracts.</summary>
internal sealed class ExtractionOptions
{
    /// <summary>Nothing is ever written outside this folder.</summary>
    public required string OutputDir { get; init; }

    /// <summary>Store every member under its base name directly in <see cref="OutputDir"/> (ShareGPT-4o-Image's images/);
    /// otherwise members keep their relative folders.</summary>
    public bool FlattenToBaseName { get; init; }

    /// <summary>Read the parts and apply every refusal, but write nothing (the parts stay where they are, read in place);
    /// a path that several members name is refused for every one of them (in place no reader may pick one).</summary>
    public bool ListOnly { get; init; }

    /// <summary>Parts read at once (one part per worker); 0 = one per core.</summary>
    public int Workers { get; init; }

    public CancellationToken Cancellation { get; init; }

    public VgtData.Progress.ProgressMeter? Progress { get; init; }

    /// <summary>How a part is named in reports (default: its path as given).</summary>
    public Func<string, string>? PartLabel { get; init; }

    /// <summary>Test hook: called after each output file is renamed into place.</summary>
    internal Action? AfterFileWritten { get; init; }
}
