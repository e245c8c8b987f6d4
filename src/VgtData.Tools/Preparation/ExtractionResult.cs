namespace VgtData.Preparation;

/// <summary>What one extraction run did.</summary>
internal sealed class ExtractionResult
{
    public int Parts { get; init; }

    /// <summary>Output files written (or rewritten) by this run.</summary>
    public int Extracted { get; init; }

    /// <summary>Output files already complete (same size as the member) and left alone.</summary>
    public int SkippedExisting { get; init; }

    /// <summary>Members whose path another member with identical content already took.</summary>
    public int IdenticalDuplicates { get; init; }

    /// <summary>Members not written, in part order then member order.</summary>
    public required IReadOnlyList<RefusedMember> Refused { get; init; }

    public required IReadOnlyList<PartError> Errors { get; init; }

    /// <summary>Relative paths ('/'-separated) of the regular members that are now in place below the output folder.</summary>
    public required IReadOnlySet<string> Present { get; init; }

    /// <summary>The parts were only listed (<see cref="ExtractionOptions.ListOnly"/>): nothing was written.</summary>
    public bool InPlace { get; init; }

    private readonly int? _members;

    /// <summary>Regular members usable after the run (a merged result counts them without naming them).</summary>
    public int Members { get => _members ?? Present.Count; init => _members = value; }

    /// <summary>The size of each member in <see cref="Present"/>.</summary>
    public IReadOnlyDictionary<string, long> Sizes { get; init; } = new Dictionary<string, long>();
}
