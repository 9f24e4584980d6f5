/**
 * SHOW CREATE TABLE split for the load (pipeline/drivers/mysql/mysql-create-table.ts): the
 * table with the keys a load needs, the rest deferred to post-data. No server needed.
 */
import { describe, expect, it } from 'vitest'
import { splitCreateTable } from '../../pipeline/drivers/mysql/mysql-create-table.ts'

describe('splitCreateTable', () => {
  it('keeps the primary key and the AUTO_INCREMENT index, defers the rest', () => {
    const split = splitCreateTable([
      'CREATE TABLE `t` (',
      '  `id` int(11) NOT NULL AUTO_INCREMENT,',
      "  `seq` bigint(20) NOT NULL COMMENT 'not AUTO_INCREMENT',",
      '  `a` varchar(10) DEFAULT NULL,',
      '  `b` text DEFAULT NULL,',
      '  PRIMARY KEY (`seq`),',
      '  UNIQUE KEY `t_a` (`a`),',
      '  KEY `t_id` (`id`),',
      '  KEY `t_a_id` (`a`,`id`),',
      '  FULLTEXT KEY `t_b` (`b`),',
      '  CONSTRAINT `t_fk` FOREIGN KEY (`a`) REFERENCES `u` (`a`) ON DELETE CASCADE,',
      '  CONSTRAINT `t_check` CHECK (`seq` > 0)',
      ') ENGINE=InnoDB AUTO_INCREMENT=42 DEFAULT CHARSET=utf8mb4',
      ' PARTITION BY HASH (`seq`)',
      'PARTITIONS 2',
    ].join('\n'))
    expect(split.create).toBe([
      'CREATE TABLE `t` (',
      '  `id` int(11) NOT NULL AUTO_INCREMENT,',
      "  `seq` bigint(20) NOT NULL COMMENT 'not AUTO_INCREMENT',",
      '  `a` varchar(10) DEFAULT NULL,',
      '  `b` text DEFAULT NULL,',
      '  PRIMARY KEY (`seq`),',
      '  KEY `t_id` (`id`),',
      '  CONSTRAINT `t_check` CHECK (`seq` > 0)',
      ') ENGINE=InnoDB AUTO_INCREMENT=42 DEFAULT CHARSET=utf8mb4',
      ' PARTITION BY HASH (`seq`)',
      'PARTITIONS 2',
    ].join('\n'))
    expect(split.indexes).toEqual(['ADD UNIQUE KEY `t_a` (`a`)', 'ADD KEY `t_a_id` (`a`,`id`)', 'ADD FULLTEXT KEY `t_b` (`b`)'])
    expect(split.foreignKeys).toEqual(['ADD CONSTRAINT `t_fk` FOREIGN KEY (`a`) REFERENCES `u` (`a`) ON DELETE CASCADE'])
  })
})

describe('splitCreateTable: indexes a foreign key made', () => {
  const table = [
    'CREATE TABLE `t` (',
    '  `id` int(11) NOT NULL,',
    '  `a` int(11) DEFAULT NULL,',
    '  `b` int(11) DEFAULT NULL,',
    '  `c` int(11) DEFAULT NULL,',
    '  PRIMARY KEY (`id`),',
    '  KEY `early` (`c`),',
    '  KEY `t_a` (`a`),',
    '  KEY `b` (`b`),',
    '  KEY `late` (`c`,`id`),',
    '  CONSTRAINT `t_a` FOREIGN KEY (`a`) REFERENCES `u` (`id`) ON DELETE CASCADE,',
    '  CONSTRAINT `t_ibfk_1` FOREIGN KEY (`b`) REFERENCES `u` (`id`)',
    ') ENGINE=InnoDB',
  ].join('\n')

  it('leaves them to their keys, in their place in the index order; MariaDB names an unnamed key\'s index after its column', () => {
    const split = splitCreateTable(table, { mariadb: true })
    expect(split.indexes).toEqual(['ADD KEY `early` (`c`)'])
    expect(split.foreignKeys).toEqual([
      'ADD CONSTRAINT `t_a` FOREIGN KEY (`a`) REFERENCES `u` (`id`) ON DELETE CASCADE',
      'ADD CONSTRAINT `b` FOREIGN KEY `t_ibfk_1` (`b`) REFERENCES `u` (`id`)',
      'ADD KEY `late` (`c`,`id`)',
    ])
    expect(split.implicitIndexes).toEqual([{ index: 't_a', columns: ['a'] }, { index: 'b', columns: ['b'] }])
  })

  it('keeps declared ones (the server said so) and ones another index could serve', () => {
    const split = splitCreateTable(table.replace('  KEY `late` (`c`,`id`),', '  KEY `late` (`b`,`id`),'), { mariadb: true, explicit: new Set(['t_a']) })
    expect(split.indexes).toEqual(['ADD KEY `early` (`c`)', 'ADD KEY `t_a` (`a`)', 'ADD KEY `b` (`b`)', 'ADD KEY `late` (`b`,`id`)'])
    expect(split.implicitIndexes).toEqual([])
  })
})
