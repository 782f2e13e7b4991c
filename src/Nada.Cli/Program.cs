using System.CommandLine;
using Nada.Cli;
using Nada.Cli.Commands;

int exitCode = CliApp.Run(args, Console.Out, Console.Error);
PeakMemory.ReportIfAsked(Console.Error);
return exitCode;

namespace Nada.Cli
{
    /// <summary>
    /// The `nada` command line: one subcommand per file in Commands/, each a static class with
    /// <c>Command Create(CliOutput io)</c>, added here with one line. Tests call <see cref="Run"/> in-process.
    /// </summary>
    public static class CliApp
    {
        /// <summary>Parses and runs <paramref name="args"/>, writing to the given streams; returns the exit code.</summary>
        public static int Run(string[] args, TextWriter output, TextWriter error)
        {
            var io = new CliOutput(output, error);
            var root = new RootCommand("nada: StyleGAN-NADA tools (convert and sample generators, adapt them by text)");
            root.Subcommands.Add(ConvertCommand.Create(io));
            root.Subcommands.Add(SampleCommand.Create(io));
            root.Subcommands.Add(AdaptCommand.Create(io));
            root.Subcommands.Add(ModelsCommand.Create());
            root.Subcommands.Add(InvertCommand.Create(io));
            root.Subcommands.Add(EditCommand.Create(io));
            root.Subcommands.Add(BlendCommand.Create(io));
            root.Subcommands.Add(BenchCommand.Create(io));
            root.Subcommands.Add(EvalCommand.Create(io));
            return root.Parse(args).Invoke(new InvocationConfiguration { Output = output, Error = error });
        }
    }
}
