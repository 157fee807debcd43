<%-- exhunt demo collection: the attacker's web shell stood at this path. Its code is replaced by
this note so that antivirus does not quarantine the demo; exhunt finds the file by where it is. --%>
