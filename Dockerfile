# NadaWeb for GPU servers: CUDA runtime + ASP.NET runtime + the CUDA TorchSharp build.
#
# Not built on the development machines (no Docker engine, and TorchSharp-cuda-linux is not served by
# their package mirror); build it where nuget.org is reachable:
#   docker build -t nadaweb .
#   docker run --gpus all -p 8080:8080 -v nada-data:/data -v nada-models:/models nadaweb
# Ubuntu 24.04 brings the libstdc++ (GCC 13+) that LibTorch 2.10 needs, so no userland trick here.

FROM mcr.microsoft.com/dotnet/sdk:10.0-noble AS build
WORKDIR /src
COPY . .
RUN dotnet publish src/Nada.Web/Nada.Web.csproj -c Release -p:TorchBackend=cuda -o /app/web \
 && dotnet publish src/Nada.Cli/Nada.Cli.csproj -c Release -p:TorchBackend=cuda -o /app/cli

FROM nvidia/cuda:12.8.1-cudnn-runtime-ubuntu24.04
RUN apt-get update \
 && apt-get install -y --no-install-recommends ca-certificates libicu74 libssl3t64 curl \
 && curl -fsSL https://dot.net/v1/dotnet-install.sh -o /tmp/dotnet-install.sh \
 && bash /tmp/dotnet-install.sh --channel 10.0 --runtime aspnetcore --install-dir /usr/share/dotnet \
 && ln -s /usr/share/dotnet/dotnet /usr/bin/dotnet \
 && rm -rf /var/lib/apt/lists/* /tmp/dotnet-install.sh
COPY --from=build /app /app
ENV ASPNETCORE_URLS=http://0.0.0.0:8080 \
    Nada__DataDir=/data \
    Nada__ModelsDir=/models
VOLUME ["/data", "/models"]
EXPOSE 8080
WORKDIR /app/web
ENTRYPOINT ["dotnet", "Nada.Web.dll"]
