using Nada.Core.Checkpoints;
using TorchSharp;
using static Nada.Core.Tests.Checkpoints.CheckpointTestFiles;
using static TorchSharp.torch;

namespace Nada.Core.Tests.Checkpoints;

/// <summary>Readers leave nothing alive but the tensors they return.</summary>
public class CheckpointMemoryTests
{
    [Theory]
    [InlineData("nvlabs/sg2ada.pkl")]
    [InlineData("stylegan2_rosinality.pt")]
    [InlineData("nvlabs/sg2tf.pkl")]
    public void OnlyReturnedTensorsStayAlive(string file)
    {
        var path = Parity(file.Split('/'));
        DisposeScopeManager.Statistics.Reset();
        for (int i = 0; i < 3; i++)
        {
            var graph = CheckpointReader.Read(path);
            var returned = new HashSet<Tensor>(ReferenceEqualityComparer.Instance);
            Collect(graph, returned, new HashSet<object>(ReferenceEqualityComparer.Instance));
            Assert.NotEmpty(returned);
            foreach (var t in returned)
            {
                t.Dispose();
            }
        }
        Assert.Equal(0, DisposeScopeManager.Statistics.TensorStatistics.ThreadTotalLiveCount);
    }

    private static void Collect(object? value, HashSet<Tensor> tensors, HashSet<object> seen)
    {
        if (value is Tensor t)
        {
            tensors.Add(t);
            return;
        }
        if (value is null or string || !seen.Add(value))
        {
            return;
        }
        IEnumerable<object?> children = value switch
        {
            Dictionary<string, object?> d => d.Values,
            List<object?> l => l,
            object?[] a => a,
            PickledObject p => p.State.Values,
            _ => [],
        };
        foreach (var child in children)
        {
            Collect(child, tensors, seen);
        }
    }
}
