namespace Nada.Core;
