package io.ckpt.catalog;

/**
 * A catalog row read back holds what no upload could have written (a name or label past its
 * limit, too many labels): the catalog file was damaged or edited. Names the table and row.
 */
public final class CatalogRowException extends RuntimeException {
    public CatalogRowException(String row, String problem) {
        super("catalog row " + row + ": " + problem + " (the catalog is damaged or was edited; 'ckpt server"
                + " rebuild-catalog' recreates it from the datastore)");
    }
}
