"""Registre: the register of AI uses (one entry per use, with the fields of public algorithm
registers and its footprint for the year), the form of one entry with the source of its hosting
fields and its history, its deletion (confirmed; soft: the history keeps it) and the restoration
of deleted entries, and the export files (CSV, JSON in the Algorithmic Transparency Standard's
attributes)."""

import streamlit as st

from dashboard import state
from dashboard.markdown import as_text
from dashboard.views import registre

st.title("Registre des usages de l'IA")
st.caption("Une entrée par usage (service, outil, cas d'usage), regroupant ses déclarations, avec les champs des "
           "registres publics d'algorithmes et son empreinte de l'année, qu'aucun d'eux ne donne. Les colonnes de "
           "registre des déclarations servent de valeurs par défaut, et, pour un outil du catalogue, la base de "
           "facteurs donne la localisation de l'hébergement et le droit applicable avec leur source ; ce qui est "
           "saisi ici les remplace et est gardé avec son historique.")


def read_version(row: dict) -> str:
    """The session key of the version the user read of an entry, kept from its first showing: a
    save, a deletion or a restoration checks it, so that a change someone made meanwhile is told,
    never overwritten."""
    key = f"registre_{row['entry_id']}_version_lue"
    st.session_state.setdefault(key, int(row["version"]))
    return key


def written(outcome, version_key: str, message: str) -> None:
    """Say what a write did: its conflict (the next showing reads the entry as it is now), its
    refusals, or ``message`` once it is done."""
    if outcome.conflict:
        del st.session_state[version_key]
        st.error(as_text(outcome.conflict))
    elif outcome.problems:
        st.error("Entrée refusée, rien n'a été enregistré :\n\n" + "\n".join(
            f"- {as_text(problem)}" for problem in outcome.problems))
    else:
        st.session_state[version_key] = outcome.version
        state.confirm(message.format(version=outcome.version))


def entry_form(entries) -> None:
    """The form of one entry, its deletion (asked twice) and its history."""
    st.subheader("Renseigner une entrée")
    names = dict(zip(entries["entry_id"], entries["name"].fillna(entries["entry_id"])))
    chosen = st.selectbox("Entrée", list(names), format_func=lambda i: f"{names[i]} ({i})", key="registre_entree")
    row = entries[entries["entry_id"] == chosen].iloc[0].to_dict()
    version_key = read_version(row)
    values = {}
    with st.form(f"registre_{chosen}", enter_to_submit=False):
        columns = st.columns(2)
        for index, field in enumerate(registre.entry_fields(row)):
            column = columns[index % 2]
            widget_key = f"registre_{chosen}_{field.key}"
            if field.allowed:
                options = ["", *field.allowed]
                values[field.key] = column.selectbox(field.label, options, key=widget_key,
                                                     index=options.index(field.value) if field.value in options else 0,
                                                     format_func=lambda v: v or "non renseigné")
            else:
                values[field.key] = column.text_input(field.label, value=field.value or "", key=widget_key,
                                                      placeholder="AAAA-MM-JJ" if field.is_date else "non renseigné")
        source = registre.hosting_source(row)
        st.caption("Hébergement et droit applicable : " + (as_text(source) if source else "non renseigné")
                   + ". Une valeur saisie ici remplace celle de la base de facteurs ; l'historique garde chaque "
                     "modification.")
        submitted = st.form_submit_button("Enregistrer l'entrée", type="primary")

    if submitted:
        with state.guard():
            outcome = registre.save_register_form(state.store(), row | {"version": st.session_state[version_key]},
                                                  values)
            written(outcome, version_key, "Entrée enregistrée (version {version}).")

    asked = f"registre_{chosen}_suppression_demandee"
    if not st.session_state.get(asked):
        if st.button("Supprimer l'entrée", key=f"registre_{chosen}_supprimer", icon=":material/delete:"):
            st.session_state[asked] = True
            st.rerun()
    else:
        st.warning(f"Supprimer l'entrée « {as_text(names[chosen])} » ? Elle quitte le registre et ses exports ; "
                   "son historique la garde, et « Afficher les entrées supprimées » permet de la restaurer.")
        confirm_column, cancel_column = st.columns(2)
        if confirm_column.button("Confirmer la suppression", key=f"registre_{chosen}_confirmer", type="primary"):
            st.session_state.pop(asked, None)
            with state.guard():
                outcome = registre.delete_register_entry(state.store(),
                                                         row | {"version": st.session_state[version_key]})
                written(outcome, version_key, "Entrée supprimée (version {version}) : son historique la garde ; "
                                              "cochez « Afficher les entrées supprimées » pour la restaurer.")
        if cancel_column.button("Annuler", key=f"registre_{chosen}_annuler"):
            st.session_state.pop(asked, None)
            st.rerun()

    with st.expander("Historique de l'entrée"):
        history = registre.entry_history(state.store(), chosen)
        if history.empty:
            st.caption("Aucune modification enregistrée : l'entrée montre ce que disent ses déclarations.")
        else:
            st.dataframe(history, hide_index=True, width="stretch", placeholder="—")


def deleted_section(deleted) -> None:
    """The deleted entries of the year, and the restoration of one."""
    st.subheader("Entrées supprimées")
    if deleted.empty:
        st.caption("Aucune entrée supprimée pour cette année.")
        return
    st.dataframe(registre.register_table(deleted), hide_index=True, width="stretch", placeholder="—")
    names = dict(zip(deleted["entry_id"], deleted["name"].fillna(deleted["entry_id"])))
    chosen = st.selectbox("Entrée supprimée", list(names), format_func=lambda i: f"{names[i]} ({i})",
                          key="registre_entree_supprimee")
    row = deleted[deleted["entry_id"] == chosen].iloc[0].to_dict()
    version_key = read_version(row)
    if st.button("Restaurer l'entrée", key="registre_restaurer", icon=":material/restore_from_trash:"):
        with state.guard():
            outcome = registre.restore_register_entry(state.store(), row | {"version": st.session_state[version_key]})
            written(outcome, version_key, "Entrée restaurée (version {version}) : elle est de nouveau dans le "
                                          "registre.")


year = state.required_year("Aucune déclaration : le registre se remplit à partir des usages déclarés.")
entries = state.register_entries(year)
show_deleted = st.checkbox("Afficher les entrées supprimées", key="registre_afficher_supprimees",
                           help="Une entrée supprimée quitte le registre et ses exports ; son historique la garde et "
                                "elle peut être restaurée.")
if entries.empty:
    st.info("Aucune entrée pour cette année.")
    if not show_deleted:
        st.stop()
else:
    st.dataframe(registre.register_table(entries), hide_index=True, width="stretch", placeholder="—")
    left, right = st.columns(2)
    left.download_button("Télécharger le registre (CSV)", registre.export_file(entries, "csv"),
                         file_name=f"registre-{year}.csv", mime="text/csv")
    right.download_button("Télécharger le registre (JSON, standard de transparence algorithmique)",
                          registre.export_file(entries, "json"), file_name=f"registre-{year}.json",
                          mime="application/json")
    entry_form(entries)

if show_deleted:
    deleted_section(registre.deleted_entries(state.store(), state.factors(), year))
