using Nada.Core.Checkpoints;
using Nada.Core.Checkpoints.GeneratorLoading;
using static TorchSharp.torch;

namespace Nada.Core.Tests.Generators;

/// <summary>Every mapper refuses a real file with a tensor removed, added or mis-shaped, naming the tensor and the file.</summary>
public class MapperStrictnessTests
{
    private static Dictionary<string, object?> ModuleState(object? module, params string[] path)
    {
        var state = (Dictionary<string, object?>)((PickledObject)module!).State;
        foreach (var name in path)
            state = (Dictionary<string, object?>)((PickledObject)((Dictionary<string, object?>)state["_modules"]!)[name]!).State;
        return state;
    }

    [Fact]
    public void NvidiaMapperNamesMissingAndUnusedTensors()
    {
        var file = Sg2TestData.File("nvlabs", "sg2ada.pkl");
        var graph = (Dictionary<string, object?>)CheckpointReader.Read(file)!;
        var conv0 = ModuleState(graph["G_ema"], "synthesis", "b8", "conv0");
        ((Dictionary<string, object?>)conv0["_parameters"]!).Remove("noise_strength");
        ((Dictionary<string, object?>)conv0["_buffers"]!)["stray"] = zeros(2);
        var e = Assert.Throws<CheckpointException>(() => NvidiaAdaFormat.Load(file, graph));
        Assert.Contains("sg2ada.pkl", e.Message);
        Assert.Contains("missing tensors: synthesis.b8.conv0.noise_strength", e.Message);
        Assert.Contains("unused tensors: synthesis.b8.conv0.stray", e.Message);
    }

    [Fact]
    public void NvidiaMapperNamesMisShapedTensor()
    {
        var file = Sg2TestData.File("nvlabs", "sg2ada.pkl");
        var graph = (Dictionary<string, object?>)CheckpointReader.Read(file)!;
        var torgb = ModuleState(graph["G_ema"], "synthesis", "b16", "torgb");
        var p = (Dictionary<string, object?>)torgb["_parameters"]!;
        p["bias"] = zeros(4);
        var e = Assert.Throws<CheckpointException>(() => NvidiaAdaFormat.Load(file, graph));
        Assert.Contains("synthesis.b16.torgb.bias [4] (needs [1, 3, 1, 1] for to_rgbs.1.bias)", e.Message);
    }

    [Fact]
    public void TfMapperNamesMissingVariable()
    {
        var file = Sg2TestData.File("nvlabs", "sg2tf.pkl");
        var graph = CheckpointReader.Read(file);
        var gs = (PickledObject)((object?[])graph!)[2]!;
        var synthesis = (PickledObject)((Dictionary<string, object?>)gs.State["components"]!)["synthesis"]!;
        var vars = (List<object?>)synthesis.State["variables"]!;
        vars.RemoveAll(v => v is object?[] { Length: 2 } t && (string)t[0]! == "16x16/Conv0_up/mod_bias");
        var e = Assert.Throws<CheckpointException>(() => TfStyleGan2Format.Load(file, graph));
        Assert.Contains("sg2tf.pkl", e.Message);
        Assert.Contains("missing tensors: synthesis/16x16/Conv0_up/mod_bias", e.Message);
    }

    [Fact]
    public void RosinalityMapperNamesUnusedTensor()
    {
        var file = Sg2TestData.File("stylegan2_rosinality.pt");
        var graph = (Dictionary<string, object?>)CheckpointReader.Read(file)!;
        ((Dictionary<string, object?>)graph["g_ema"]!)["convs.99.conv.weight"] = zeros(1);
        var e = Assert.Throws<CheckpointException>(() => RosinalityFormat.Load(file, graph));
        Assert.Contains("stylegan2_rosinality.pt", e.Message);
        Assert.Contains("unused tensors: convs.99.conv.weight", e.Message);
    }
}
