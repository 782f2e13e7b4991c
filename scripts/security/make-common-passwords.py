#!/usr/bin/env python3
"""Writes src/Nada.Web/Security/common-passwords.txt: the passwords people pick most, for the sign-up check.

Written for NadaWeb (same licence as the repository); no list from another project was copied. The roots below are
words, names and key patterns that every published study of leaked passwords puts at the top (e.g. "password",
"123456", "qwerty", "iloveyou", first names, sports, pets, seasons), written down here from that common knowledge;
the script adds the decorations people use to pass rules like ours (a capital, digits, a year, "!"). The app compares
case-insensitively and also refuses a listed password with only digits or symbols added at the end, so only the
lower-case forms are listed. Run: python3 scripts/security/make-common-passwords.py
"""
import itertools
import pathlib

ROOTS = """
password passw0rd p@ssword p@ssw0rd pass pass1234 passwort motdepasse contrasena senha parola wachtwoord haslo salasana
qwerty qwertyuiop qwertz azerty asdf asdfgh asdfghjkl zxcvbn zxcvbnm qazwsx qweasd qweasdzxc 1qaz2wsx 1q2w3e 1q2w3e4r
1q2w3e4r5t zaq12wsx qwe123 asd123 zxc123 abc abcd abcde abcdef abcdefg abc123 a1b2c3 aaaaaa aaaaaaaa abcabc
letmein welcome hello hellothere iloveyou iloveu loveyou lovely loveme love trustno1 whatever secret mysecret
admin administrator root toor login user guest default changeme master test tester testing demo temp temporary
access monkey dragon shadow sunshine princess football baseball basketball soccer hockey tennis golfer cricket
superman batman spiderman ironman starwars pokemon naruto matrix zelda mario minecraft fortnite roblox gamer
computer internet google yahoo facebook linkedin microsoft windows apple samsung iphone android
michael jennifer jessica ashley daniel andrew joshua matthew thomas robert charlie jordan hunter taylor michelle
nicole amanda sarah hannah jasmine maggie buster ginger pepper tigger lucky bailey coffee chocolate cookie
cheese banana orange purple yellow silver golden diamond crystal flower summer winter autumn spring
monday friday january august december freedom liberty justice peace family forever friends friend
killer hacker ninja pirate rockstar rocknroll metallica nirvana beatles eminem justin bieber
jesus christ angel angels heaven blessed faith soccer1 hunter2 tiger tigers lion lions eagle eagles
falcon falcons dolphin dolphins panther panthers bulldog bulldogs cowboys yankees lakers chelsea arsenal
liverpool barcelona madrid juventus united united1 ferrari porsche mercedes corvette mustang harley
thunder lightning storm phoenix dragon1 shadow1 master1 killer1 superstar starlight moonlight midnight
babygirl babyboy princess1 sweetheart sweetie honey darling lovers iloveyou1 mylove myself single
london paris berlin newyork chicago boston dallas texas california florida canada america england
germany france italia espana brasil mexico india china russia
nothing anything something someone everyone nobody money dollar cash bitcoin crypto
qwerty123 password1 welcome1 letmein1 admin123 root123 test123 guest123 user123 login123
student teacher school college university doctor nurse soldier police
mother father sister brother daughter family1 baby kitten puppy doggy kitty
fuckyou fuckoff asshole bitch whore sexy sex hottie playboy
batman1 charlie1 jordan23 michael1 chelsea1 arsenal1 liverpool1 football1 baseball1
starwars1 pokemon1 naruto1 minecraft1 computer1 internet1 samsung1 iphone1
blink182 abc12345 qwerty12 qwerty1 1password a123456 aa123456 q123456 password12
""".split()

# Digit strings and keyboard runs that are passwords on their own.
DIGITS = [
    "123456", "1234567", "12345678", "123456789", "1234567890", "0123456789", "987654321", "9876543210",
    "111111", "1111111", "11111111", "000000", "00000000", "121212", "123123", "123321", "112233", "654321",
    "666666", "696969", "777777", "7777777", "888888", "88888888", "999999", "99999999", "555555", "123123123",
    "147258369", "159753", "159357", "147852", "741852963", "789456123", "456789", "12341234", "11223344",
    "1qazxsw2", "qazwsxedc", "qwertyui", "asdfghjk", "zxcvbnm1", "1234qwer", "qwer1234", "q1w2e3r4", "q1w2e3r4t5",
    "1q2w3e4r5t6y", "zxcvbnm123", "asdf1234", "1234abcd", "abcd1234", "12qwaszx", "qwaszx12",
]

SUFFIXES = ["", "1", "12", "123", "1234", "!", "1!", "123!", "01", "69", "007", "@123"]
YEARS = [str(y) for y in range(1970, 2031)]
YEAR_ROOTS = ["password", "welcome", "summer", "winter", "spring", "autumn", "monday", "january", "letmein", "qwerty",
              "admin", "football", "baseball", "love", "iloveyou", "dragon", "monkey", "master", "hello", "secret",
              "london", "paris", "berlin", "friday", "family", "jesus", "freedom", "soccer", "hockey", "december",
              "august", "christmas", "holiday", "company", "changeme", "test", "user", "guest", "login", "access"]


def main() -> None:
    out: set[str] = set()
    for root in ROOTS:
        for suffix in SUFFIXES:
            out.add(root + suffix)
    for root, year in itertools.product(YEAR_ROOTS, YEARS):
        out.add(root + year)
    out.update(DIGITS)
    words = sorted(w.lower() for w in out)
    target = pathlib.Path(__file__).resolve().parents[2] / "src" / "Nada.Web" / "Security" / "common-passwords.txt"
    header = ("# The passwords people pick most (lower case), refused at sign-up. Generated by\n"
              "# scripts/security/make-common-passwords.py from roots written for NadaWeb; see that script.\n")
    target.write_text(header + "\n".join(words) + "\n", encoding="utf-8")
    print(f"{len(words)} passwords -> {target}")


if __name__ == "__main__":
    main()
