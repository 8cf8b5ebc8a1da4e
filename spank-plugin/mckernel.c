/* placeholder, replaced by the SPANK plugin */
