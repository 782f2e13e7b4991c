namespace Nada.Core.Checkpoints;

/// <summary>
/// Bounds one walk over a checkpoint's object graph (module trees, TF network components, state-dict flattening).
/// A pickle's memo lets one object appear in many places and even inside itself, so a walk that follows every
/// reference may never end (a cycle: a stack overflow, which kills the process) or end after exponentially many
/// steps (40 dicts that each name the next one twice stand for 2^40 paths). This walk refuses a node that is its own
/// ancestor, a path deeper than <see cref="MaxDepth"/> and more than <see cref="MaxVisits"/> steps in all, with a
/// <see cref="CheckpointException"/> naming the file.
/// </summary>
internal sealed class GraphWalk(string path, string what)
{
    /// <summary>Deepest nesting followed (real module trees are under 20 deep).</summary>
    public const int MaxDepth = 200;

    /// <summary>
    /// Most steps of one walk, revisits of shared objects included: an NVIDIA pickle's G, D and G_ema flatten in about
    /// ten thousand, a CLIP state dict in under a thousand.
    /// </summary>
    public const int MaxVisits = 100_000;

    /// <summary>Longest dotted name built (real ones are under 200 characters).</summary>
    public const int MaxNameLength = 4096;

    private readonly HashSet<object> _onPath = new(ReferenceEqualityComparer.Instance);
    private int _visits;

    /// <summary>Enters <paramref name="node"/> at <paramref name="depth"/>, reached by the name <paramref name="where"/>, or refuses; pair with <see cref="Leave"/>.</summary>
    public void Enter(object node, int depth, string where)
    {
        CountStep(ref _visits, where, path, what);
        if (!_onPath.Add(node))
        {
            throw new CheckpointException(path, $"{what} contains itself ({Clip(where)} is one of its own ancestors)", "The file is corrupt or built to make readers loop");
        }
        if (depth > MaxDepth)
        {
            throw new CheckpointException(path, $"{what} is nested more than {MaxDepth} levels deep (at {Clip(where)})", "The file is corrupt");
        }
    }

    /// <summary>Counts one step of a walk over <paramref name="what"/> of <paramref name="file"/>, refusing past <see cref="MaxVisits"/> steps or a name longer than <see cref="MaxNameLength"/>.</summary>
    public static void CountStep(ref int visits, string name, string file, string what)
    {
        if (++visits > MaxVisits)
        {
            throw new CheckpointException(file, $"{what} reaches more than {MaxVisits} objects when shared ones are counted once per place they appear",
                "The file is corrupt or built to exhaust memory: its objects refer to each other many times over");
        }
        if (name.Length > MaxNameLength)
        {
            throw new CheckpointException(file, $"{what} names an object by a path of {name.Length} characters (at most {MaxNameLength})",
                "The file is corrupt or built to exhaust memory");
        }
    }

    /// <summary>Leaves <paramref name="node"/> (entered with <see cref="Enter"/>).</summary>
    public void Leave(object node) => _onPath.Remove(node);

    private static string Clip(string text) => text.Length <= 120 ? text : text[..120] + "...";
}
