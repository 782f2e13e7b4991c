using System.CommandLine;
using Nada.Cli.Commands;

// `nada`: one subcommand per file under Commands/.
var root = new RootCommand("nada: StyleGAN-NADA tools");
root.Subcommands.Add(ModelsCommand.Create());
return await root.Parse(args).InvokeAsync();
