using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Nada.Web.Data.Migrations
{
    /// <inheritdoc />
    public partial class PublicDomains : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<DateTimeOffset>(
                name: "PublishedAt",
                table: "Domains",
                type: "TEXT",
                nullable: true);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropColumn(
                name: "PublishedAt",
                table: "Domains");
        }
    }
}
